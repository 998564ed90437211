# `referral ui`: ứng dụng web cục bộ (client-cli/src/ui/).

ui-app-name = Bàn giới thiệu
ui-listening = Ứng dụng web đang mở tại { $url }
    Chỉ máy tính này truy cập được. Hãy để cửa sổ này mở; nhấn Ctrl-C để dừng.
ui-cannot-listen = Không thể lắng nghe trên { $address }: có chương trình khác đang dùng cổng này không?
ui-browser-not-opened = Không mở được trình duyệt: hãy chép địa chỉ ở trên vào trình duyệt.
ui-skip-to-content = Chuyển đến nội dung
ui-nav-label = Chính
ui-nav-inbox = Hộp thư đến
ui-nav-cases = Hồ sơ
ui-nav-new = Giới thiệu mới
ui-nav-report = Báo cáo
ui-nav-outbox = Hộp thư đi
ui-nav-admin = Quản trị
ui-lock = Khóa
ui-desk-named = { $name } ({ $desk })
ui-language-label = Ngôn ngữ
ui-trust-verified = Danh bạ đã xác minh: { $entries } mục, đầu { $head }…, kiểm tra lúc { $at }
ui-trust-not-yet = Danh bạ chưa được đối chiếu với máy chủ trung gian kể từ khi mở khóa.
ui-back-home = Về hộp thư đến
ui-refused-host = Địa chỉ này không phải của ứng dụng web. Hãy mở địa chỉ mà `referral ui` đã in ra.
ui-refused-no-session = Bạn chưa đăng nhập vào ứng dụng web này. Hãy mở địa chỉ mà `referral ui` đã in trong cửa sổ của nó; nếu địa chỉ đã được dùng, hãy dừng `referral ui` bằng Ctrl-C rồi chạy lại.
ui-refused-cross-site = Yêu cầu này đến từ một trang khác nên đã bị từ chối. Hãy dùng các nút của ứng dụng.
ui-failure-user = Không thực hiện được
ui-failure-broker = Không kết nối được máy chủ trung gian
ui-failure-verification = Một bước kiểm tra không đạt: không có gì được hiển thị hay lưu lại
ui-locked = Ứng dụng đang khóa. Hãy nhập cụm mật khẩu để tiếp tục.
ui-unlock-title = Mở khóa
ui-unlock-explain = Nhập cụm mật khẩu của kho khóa trên thiết bị này. Khóa của bạn chỉ ở trên máy tính này và bị xóa khỏi bộ nhớ khi ứng dụng khóa lại.
ui-unlock-passphrase = Cụm mật khẩu
ui-unlock-button = Mở khóa
ui-unlock-lock-note = Ứng dụng tự khóa sau một thời gian không dùng; nút Khóa sẽ khóa ngay.
ui-unlock-wrong = Cụm mật khẩu không đúng. Hãy kiểm tra chế độ gõ của bàn phím rồi thử lại.
ui-inbox-title = Hộp thư đến
ui-inbox-caption = Có { $count } gói đang chờ bàn của bạn.
ui-inbox-action = Thao tác
ui-inbox-open = Mở
