# Đăng nhập và danh bạ đã xác minh.

session-device-revoked = thiết bị này đã bị quản trị viên thu hồi; không thể dùng máy chủ chuyển tiếp nữa. Hãy thiết lập thiết bị mới (referral init, enroll) nếu vẫn cần
session-not-enrolled = thiết bị này chưa có trong danh bạ: hãy chạy `referral enroll --code CODE` và nhờ quản trị viên phê duyệt
session-awaiting-approval = máy chủ chuyển tiếp chưa biết thiết bị này. Nếu bạn đã chạy `referral enroll`, thiết bị đang chờ quản trị viên phê duyệt: hãy nhờ họ chạy `referral admin pending`. Nếu chưa, hãy đăng ký trước bằng `referral enroll --code CODE`
session-key-not-held = danh bạ ghi một khóa ký cho thiết bị này mà kho khóa không có: kho khóa đã bị thay, hoặc thiết bị đã được đổi khóa từ một bản sao khác
session-no-desk = thiết bị này không phải thành viên đang hoạt động của quầy nào: hãy đăng ký bằng mã mời của một quầy (`referral enroll --code CODE`) và được phê duyệt
session-bad-challenge = thử thách từ máy chủ chuyển tiếp không phải base64
trust-cache-too-large = { $path } lớn hơn { $max } byte; không phải bộ nhớ đệm danh bạ
trust-cache-invalid = không xác minh được bộ nhớ đệm danh bạ { $path } ({ $error }); tệp đã bị hỏng hoặc bị sửa. Hãy chuyển nó đi rồi chạy `referral directory` để tải và xác minh lại
trust-no-directory = máy chủ chuyển tiếp tại { $broker } chưa có danh bạ: quản trị viên phải chạy `referral admin bootstrap --code CODE` trước
trust-cannot-write = không ghi được { $path }: { $error }
trust-advice-rollback = Máy chủ chuyển tiếp đang đưa danh bạ cũ hơn bản thiết bị này đã thấy; có thể đang che giấu một lần thu hồi hoặc đổi khóa.
trust-advice-fork = Máy chủ chuyển tiếp đang đưa lịch sử khác với bản thiết bị này đã xác minh; có thể ai đó đang cho các thiết bị thấy những khóa khác nhau.
trust-advice-root-mismatch = Danh bạ có gốc là một khóa quản trị khác với khóa thiết bị này đã ghim.
trust-advice-unsigned = Máy chủ chuyển tiếp đưa ra một mục danh bạ không có quản trị viên nào ký.
trust-refused = từ chối danh bạ của máy chủ chuyển tiếp: { $error }. { $advice } Không có gì thay đổi; hãy báo cho quản trị viên
trust-first-use = tin khóa gốc quản trị { $root } ở lần dùng đầu.
    Hãy đối chiếu dấu vân tay này với quản trị viên qua một kênh khác (gặp trực tiếp hoặc gọi điện).
    Nếu khác, hãy ngừng dùng thiết bị này: máy chủ chuyển tiếp có thể đã thay khóa gốc.
trust-device-revoked = thiết bị này đã bị quản trị viên thu hồi: không thể xác thực nữa, và không ai mã hóa gửi đến nó nữa
trust-keys-expired = khóa của thiết bị này đã quá tuổi tối đa mà danh bạ cho phép: không gói mới nào được mã hóa cho chúng. Hãy chạy `referral rotate`
