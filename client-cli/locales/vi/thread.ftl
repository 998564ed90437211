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
# Hồ sơ mà máy chủ chuyển tiếp đã xóa sau thời hạn lưu giữ (ADR 0019 §1).
case-closed-at-broker = Hồ sơ { $thread } đã đóng trên máy chủ chuyển tiếp: hồ sơ đã đóng được một thời gian nên máy chủ đã xóa nó theo thời hạn lưu giữ, và không thể gửi thêm gì vào hồ sơ này nữa. Thiết bị này vẫn giữ diễn biến của hồ sơ (xem bằng referral thread { $thread }). Nếu người đó cần hỗ trợ thêm, hãy gửi một giới thiệu mới (referral new --interactive, rồi referral send).
thread-closed-at-broker = Máy chủ chuyển tiếp không còn hồ sơ này: hồ sơ đã đóng được một thời gian và đã bị xóa theo thời hạn lưu giữ của máy chủ. Diễn biến dưới đây là bản lưu trên thiết bị này. Nếu người đó cần hỗ trợ thêm, hãy gửi một giới thiệu mới.
