# Đổi khóa thiết bị: referral rotate / rewrap.

rotate-done = Đã tạo khóa mới cho thiết bị { $device }.
rotate-new-fingerprint = dấu vân tay mới:   { $fingerprint }
rotate-previous-fingerprint = dấu vân tay cũ:    { $fingerprint }
rotate-next = Khóa cũ vẫn ở trong kho khóa, đã ngừng dùng, nên các gói cũ vẫn mở được.
    Hãy đọc dấu vân tay mới cho quản trị viên, người sẽ phê duyệt bằng
      referral admin approve { $request } --fingerprint "{ $fingerprint }"
    Sau đó chạy `referral rewrap` để chuyển các gói đang chờ sang khóa mới.
rotate-revoked = thiết bị này đã bị thu hồi; thiết bị bị thu hồi không thể đổi khóa
rotate-root-device = đây là thiết bị gốc: hãy dùng `referral admin rotate-root`
rotate-not-enrolled = thiết bị này chưa được đăng ký; danh bạ không có khóa nào để đổi
rewrap-done = { $pending } gói đang chờ: { $rewrapped } đã chuyển sang khóa hiện tại, { $current } đã dùng khóa hiện tại, { $skipped } bỏ qua.
rewrap-one = đã chuyển { $packet }
rewrap-skipped = gói { $packet }: { $reason }
rewrap-not-approved = khóa mới nhất của thiết bị này chưa có trong danh bạ: quản trị viên phải phê duyệt việc đổi khóa trước (`referral admin approve`), nếu không người gửi vẫn mã hóa cho khóa cũ
rewrap-not-active = thiết bị này không phải thiết bị đã đăng ký đang hoạt động
progress-rewrap = chuyển khóa
