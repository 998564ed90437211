# Kho khóa của thiết bị.

keystore-not-initialized = không có kho khóa thiết bị trong { $home }: hãy chạy `referral init --broker URL` trước, hoặc chỉ định đúng --home
keystore-already-exists = { $path } đã tồn tại; không ghi đè kho khóa thiết bị. Hãy dùng --home khác, hoặc chỉ chuyển kho cũ đi nếu chắc chắn không gói nào cần đến khóa của nó nữa
keystore-missing = thiếu { $path } dù có { $device_file }; hãy khôi phục từ bản sao lưu
keystore-wrong-passphrase = sai cụm mật khẩu (không mở được kho khóa)
keystore-file-damaged = { $file } bị hỏng hoặc đã bị sửa: { $reason }
keystore-mismatch = { $keystore_file } và { $device_file } không khớp ({ $what }); không dùng tệp nào. Một trong hai đã bị thay hoặc được khôi phục từ bản sao lưu khác
keystore-unsupported-version = { $file } có phiên bản định dạng { $version } mà phiên bản referral này không biết; hãy nâng cấp referral
