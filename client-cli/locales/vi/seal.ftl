# Gói ngoại tuyến và đầu ra khác: referral seal / export-identity, ghi kết quả.

seal-done = Đã mã hóa giới thiệu { $packet } cho { $desk } vào { $file } ({ $bytes } byte, mã hóa cho { $keys } khóa thiết bị).
seal-next = Quầy hỗ trợ mở nó bằng: referral unseal { $file }
seal-no-directory = thiết bị này chưa có danh bạ đã xác minh: hãy chạy `referral directory` một lần khi kết nối được máy chủ chuyển tiếp
seal-out-exists = { $file } đã tồn tại; không ghi đè
seal-offline-directory = { $error } (ngoại tuyến, thiết bị này dùng danh bạ đã xác minh lần cuối, đến mục { $seq }: hãy chạy `referral directory` khi kết nối được máy chủ chuyển tiếp để cập nhật)
export-identity-warning = lệnh này in ra khóa RIÊNG TƯ (PRIVATE) của thiết bị. Ai có được chúng có thể đọc mọi gói từng gửi đến thiết bị này, kể cả gói của khóa đã ngừng dùng, và không thu hồi nào hoàn tác được. Chỉ ghi chúng vào nơi lưu trữ ngoại tuyến được mã hóa, không bao giờ vào terminal dùng chung, chat, phiếu hỗ trợ hay e-mail, và hủy mọi bản sao khác.
output-cannot-write = không ghi được kết quả ra stdout
report-cannot-format = không định dạng được báo cáo
report-cannot-write = không ghi được báo cáo ra stdout
