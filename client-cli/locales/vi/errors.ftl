# Lỗi nói rõ chuyện gì đã xảy ra và cần làm gì tiếp theo (ADR 0015).

errors-refused = { $what } (mã của máy chủ chuyển tiếp: { $code }, HTTP { $status })
refused-too-large = Gói lớn hơn mức máy chủ chuyển tiếp chấp nhận. Hãy chia tệp đính kèm thành các tệp nhỏ hơn, hoặc quét lại với độ phân giải thấp hơn, rồi gửi lại.
refused-pending-cap = Quầy hỗ trợ của bạn đã gửi quá nhiều dữ liệu mà các quầy khác chưa nhận. Hãy chờ đến khi họ mở hộp thư đến, hoặc hỏi người vận hành máy chủ chuyển tiếp.
refused-unknown-desk = Máy chủ chuyển tiếp không biết quầy hỗ trợ đó. Hãy kiểm tra tên bằng `referral directory`.
refused-not-signed-in = Máy chủ chuyển tiếp không chấp nhận đăng nhập của thiết bị này. Thiết bị có thể chưa được duyệt hoặc đã bị thu hồi: hãy hỏi quản trị viên.
refused-directory-private = Máy chủ chuyển tiếp chỉ cho thiết bị đã đăng ký, hoặc thiết bị đang đăng ký bằng mã mời, xem danh bạ. Hãy đăng ký thiết bị này trước (`referral enroll --code CODE`), hoặc kiểm tra xem thiết bị có bị thu hồi không.
refused-admin-only = Chỉ quản trị viên mới làm được việc này.
refused-unknown-id = Máy chủ chuyển tiếp không có gói hay hồ sơ nào với mã đó cho quầy hỗ trợ của bạn. Hãy kiểm tra mã bằng `referral inbox` hoặc `referral cases`.
refused-gone = Nó đã hết hạn và máy chủ chuyển tiếp không còn giữ. Hãy nhờ người gửi gửi lại.
refused-illegal-transition = Hồ sơ không thể chuyển sang trạng thái đó từ trạng thái hiện tại. Xem trạng thái hiện tại bằng `referral thread ID`.
refused-id-reused = Máy chủ chuyển tiếp đã có một gói khác với cùng mã này. Xem `referral outbox`, xóa mục đó bằng `referral outbox drop ID`, rồi gửi lại.
refused-changed-meanwhile = Có thay đổi khác xảy ra cùng lúc. Hãy chạy lại lệnh.
refused-invite-code = Mã mời sai, đã dùng hoặc đã hết hạn. Hãy xin quản trị viên mã mới.
refused-bootstrap-code = Mã khởi tạo sai. Hãy chép mã từ nhật ký của máy chủ chuyển tiếp.
refused-already-claimed = Máy chủ chuyển tiếp này đã được khởi tạo.
refused-not-bootstrapped = Máy chủ chuyển tiếp này chưa được khởi tạo. Quản trị viên cần chạy `referral admin bootstrap` trước.
refused-wrong-broker = Máy chủ chuyển tiếp báo một tên khác với tên thiết bị này đã biết. Hãy kiểm tra địa chỉ máy chủ chuyển tiếp.
refused-already-registered = Thiết bị hoặc khóa này đã được đăng ký.
refused-directory-change = Máy chủ chuyển tiếp từ chối thay đổi danh bạ này. Hãy kiểm tra yêu cầu bằng `referral admin pending`, và hỏi một quản trị viên khác nếu vẫn lỗi.
refused-too-slow = Việc tải lên quá chậm nên máy chủ chuyển tiếp đã ngừng chờ. Hãy kiểm tra kết nối và chạy lại lệnh.
refused-malformed = Máy chủ chuyển tiếp không nhận được yêu cầu như đã gửi; chương trình này và máy chủ chuyển tiếp có thể khác phiên bản. Hãy cập nhật referral, và báo người vận hành máy chủ chuyển tiếp nếu vẫn lỗi.
refused-other = Máy chủ chuyển tiếp từ chối yêu cầu: { $message }

errors-unreachable = Không kết nối được máy chủ chuyển tiếp tại { $broker }: { $why } Hãy kiểm tra kết nối mạng và địa chỉ máy chủ chuyển tiếp; nếu cả hai đều đúng, máy chủ có thể đang ngừng: hãy thử lại sau hoặc hỏi người vận hành.
errors-unreachable-timeout = máy chủ không trả lời kịp.
errors-unreachable-connect = không tạo được kết nối.
errors-unreachable-other = kết nối bị gián đoạn.

errors-packet-too-large = Gói này sau khi mã hóa sẽ có ít nhất { $size } MiB, nhưng máy chủ chuyển tiếp chỉ nhận tối đa { $limit } MiB. Chưa có gì được mã hóa hay gửi đi. Hãy chia tệp đính kèm thành các tệp nhỏ hơn, hoặc quét lại với độ phân giải thấp hơn, rồi gửi lại.

errors-no-such-desk = Không có quầy hỗ trợ “{ $desk }” trong danh bạ đã xác minh. `referral directory` liệt kê các quầy hỗ trợ.
errors-no-such-desk-did-you-mean = Không có quầy hỗ trợ “{ $desk }” trong danh bạ đã xác minh. Có phải ý bạn là “{ $near }”? `referral directory` liệt kê các quầy hỗ trợ.

errors-passphrase-again = Sai cụm mật khẩu. Hãy nhập lại (còn { $left } lần).

errors-key-list-invalid = nội dung đã giải mã không phải là danh sách khóa hợp lệ ({ $what } tại dòng { $line }, cột { $column })
errors-key-list-io = lỗi đọc
errors-key-list-syntax = JSON không đúng định dạng
errors-key-list-data = giá trị không như mong đợi
errors-key-list-eof = kết thúc quá sớm
refused-broker-said = Máy chủ chuyển tiếp cho biết: { $message }
errors-unreachable-certificate = không xác minh được chứng chỉ của máy chủ chuyển tiếp: chứng chỉ không do tổ chức mà máy này tin cậy ký, hoặc dành cho địa chỉ khác. Hãy kiểm tra địa chỉ; nếu đúng, hãy hỏi người vận hành máy chủ về chứng chỉ.
errors-post-quantum-required = Chưa gửi gì: danh bạ yêu cầu mã hóa hậu lượng tử, nhưng { $count } thiết bị nhận gói này chưa có khóa hậu lượng tử:
    { $devices }
    Hãy nhờ chủ từng thiết bị chạy `referral rotate` và quản trị viên phê duyệt.
warn-sealed-classic = Đã niêm phong bằng mã hóa cổ điển, vì { $count } thiết bị nhận gói này chưa có khóa hậu lượng tử:
    { $devices }
    Khi chủ từng thiết bị chạy `referral rotate` và quản trị viên phê duyệt, gói đến các quầy này sẽ được niêm phong hậu lượng tử.
