# Nhận, kiểm tra và gửi gói: cảnh báo, lỗi, tiến trình.

progress-fetch = tải về
progress-upload = tải lên
progress-seal = mã hóa
receive-attachment-renamed = tệp đính kèm tên { $name } đã được lưu thành { $path }: tên đó đã có, hoặc chứa ký tự khiến nó hiển thị như một tên khác
receive-not-for-this-device = { $error }: gói không gửi đến thiết bị này (có thể đã được mã hóa trước khi thiết bị này tham gia quầy, hoặc cho quầy khác)
receive-refused = từ chối gói: { $error }. Gói không được hiển thị hay lưu lại; hãy báo cho quản trị viên
receive-downgrade = từ chối gói: gói được niêm phong bằng mã hóa cổ điển ({ $signed }), dù mọi thiết bị nhận đều đã có khóa hậu lượng tử. Chương trình gửi bình thường không làm vậy; có thể ai đó đang cố làm yếu mã hóa. Gói không được hiển thị hay lưu lại; hãy báo cho quản trị viên
receive-classic-after-policy = từ chối gói: gói được niêm phong bằng mã hóa cổ điển ({ $signed }), sau khi danh bạ bắt đầu yêu cầu mã hóa hậu lượng tử ({ $since }). Gói không được hiển thị hay lưu lại; hãy báo cho quản trị viên và nhờ người gửi gửi lại
receive-malformed = gói đã được xác minh, nhưng nội dung { $content_type } bị sai: { $error }
receive-referral-not-v1 = giới thiệu không theo schema v1 ở { $count } chỗ; hiển thị đúng như đã gửi:
    { $problems }
receive-unknown-content = gói đã được xác minh, nhưng chứa nội dung loại { $content_type } mà phiên bản referral này không đọc được
receive-reply-not-kept = thiết bị này không có hồ sơ { $thread } (được bắt đầu từ thiết bị khác); trả lời được hiển thị nhưng không lưu vào kho hồ sơ của thiết bị này
receive-not-a-party = từ chối gói { $packet } của hồ sơ { $thread }: gói được ký là do { $sender } gửi đến { $recipient }, nhưng hồ sơ là giữa { $ours } và { $other }. Quầy không phải một bên của hồ sơ thì không được thay đổi nó; gói không được ghi nhận hay xác nhận. Hãy báo cho quản trị viên
receive-forward-forged = từ chối gói chuyển tiếp { $packet }: nội dung nói do { $claimed } chuyển tiếp, nhưng chữ ký là của { $signer }. Gói không được hiển thị hay lưu lại; hãy báo cho quản trị viên
reply-needs-reason = từ chối phải nêu lý do: thêm --reason "..." (được mã hóa; máy chủ chuyển tiếp chỉ thấy trạng thái)
reply-needs-outcome = hoàn tất phải nêu kết quả: thêm --outcome "..." (được mã hóa; máy chủ chuyển tiếp chỉ thấy trạng thái)
reply-text-too-long = --{ $name } dài hơn { $max } byte
attach-these-refused = không đính kèm được các tệp này: { $error }
attach-refused = không đính kèm được { $path }: { $error }
attach-not-a-file = không phải tệp thông thường
attach-no-name = không có tên tệp
