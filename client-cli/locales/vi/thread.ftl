# referral thread: diễn biến của hồ sơ.

thread-title = Hồ sơ { $thread }: { $status }
thread-status-from-broker = { $status } (do máy chủ chuyển tiếp báo)
thread-sent-to = đã gửi đến { $desk }
thread-received-from = nhận từ { $desk }
thread-offline = (ngoại tuyến: chỉ có diễn biến trên thiết bị này)
thread-offline-warning = chỉ hiển thị diễn biến lưu trên thiết bị này
thread-event-by = { " " }bởi { $desk }
thread-event-unsigned = { "  " }(do máy chủ chuyển tiếp báo, không có chữ ký)
thread-no-case = quầy hỗ trợ này không có hồ sơ { $thread } (xem danh sách hồ sơ trên thiết bị này bằng referral cases)
thread-unknown-status = máy chủ chuyển tiếp báo một trạng thái không rõ: { $error }
