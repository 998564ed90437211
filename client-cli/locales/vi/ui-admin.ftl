# `referral ui`: các trang quản trị và hộp thư đi
# (client-cli/src/ui/routes/admin/).

ui-admin-title = Quản trị
ui-admin-intro = Duyệt thiết bị mới, tạo mã mời, thu hồi thiết bị và kiểm tra nhật ký danh bạ.
ui-admin-pending-title = Chờ duyệt
ui-admin-pending-about = Thiết bị mới và khóa mới của thiết bị hiện có; duyệt sau khi đối chiếu dấu vân tay.
ui-admin-invites-title = Mã mời
ui-admin-invites-about = Mã dùng một lần để thiết bị của thành viên mới xin tham gia một quầy.
ui-admin-devices-title = Thiết bị
ui-admin-devices-about = Mọi thiết bị trong danh bạ, theo từng quầy; hãy thu hồi thiết bị bị mất hoặc không còn dùng.
ui-admin-audit-title = Nhật ký danh bạ
ui-admin-audit-about = Mọi thay đổi của danh bạ, người ký và kết quả xác minh.
ui-admin-not-admin-title = Chỉ dành cho quản trị viên
ui-admin-not-admin = Thiết bị này không phải là quản trị viên trong danh bạ. Chỉ thiết bị gốc và các thiết bị được đăng ký với vai trò quản trị mới có thể duyệt, mời hoặc thu hồi.
ui-admin-not-admin-next = Nếu cần làm việc này, hãy nhờ một quản trị viên, hoặc xin họ một mã mời với vai trò quản trị cho thiết bị của bạn. Bạn vẫn có thể xem nhật ký danh bạ.

ui-admin-fingerprint-spoken = Dấu vân tay: { $digits }
ui-admin-desk = Quầy
ui-admin-role = Vai trò
ui-admin-device = Thiết bị
ui-admin-status = Trạng thái
ui-admin-fingerprint = Dấu vân tay
ui-admin-action = Thao tác
ui-admin-cancel = Hủy

ui-admin-pending-explain = Trước khi duyệt, hãy gọi điện hoặc gặp chủ thiết bị và nhờ họ đọc dấu vân tay mà thiết bị của họ hiển thị. Nhập mã đó vào; chỉ duyệt được khi mã khớp.
ui-admin-request-enrollment = Thiết bị mới
ui-admin-request-rotation = Khóa mới cho thiết bị hiện có
ui-admin-requested = Thời điểm yêu cầu
ui-admin-typed-fingerprint = Dấu vân tay do chủ thiết bị đọc cho bạn
ui-admin-typed-fingerprint-hint = Gồm 64 chữ và số; khoảng trắng và chữ hoa, chữ thường không quan trọng.
ui-admin-approve-button = Duyệt
ui-admin-approve-mismatch = Đây không phải dấu vân tay của yêu cầu này. Chưa có gì được duyệt. Hãy nhờ chủ thiết bị đọc lại; nếu vẫn khác, đừng duyệt: có thể người khác đã gửi yêu cầu này.
ui-admin-approve-gone = Yêu cầu này không còn chờ duyệt: có thể một quản trị viên khác đã duyệt, hoặc nó đã hết hạn. Chưa có gì được duyệt.
ui-admin-approved = Đã duyệt. Thiết bị đã có trong danh bạ (mục { $seq }).

ui-admin-invite-new = Mã mời mới
ui-admin-invite-choose-desk = Chọn một quầy
ui-admin-invite-no-desks = Danh bạ chưa có quầy nào. Hãy tạo quầy bằng `referral admin desk add` trước.
ui-admin-invite-pick-desk = Hãy chọn quầy mà thành viên mới sẽ tham gia.
ui-admin-invite-valid = Mã chỉ dùng được một lần, trong vòng { $hours } giờ.
ui-admin-invite-button = Tạo mã mời
ui-admin-invite-made = Đã tạo mã mời
ui-admin-invite-code = Mã mời:
ui-admin-invite-shown-once = Mã này chỉ hiển thị một lần này. Hãy ghi lại hoặc chuyển cho người nhận ngay.
ui-admin-invite-tell = Hãy trao mã riêng cho thành viên mới (gặp trực tiếp hoặc qua điện thoại, không gửi qua email). Trên thiết bị của họ, họ chạy `referral init` rồi `referral enroll` với mã này; thiết bị sẽ hiển thị một dấu vân tay. Khi họ đã đọc mã đó cho bạn, hãy duyệt trong mục "Chờ duyệt".

ui-admin-devices-no-desk = Quản trị viên không thuộc quầy nào
ui-admin-devices-none = Chưa có thiết bị nào.
ui-admin-devices-back = Quay lại danh sách thiết bị
ui-admin-this-device = thiết bị này
ui-admin-keys-expired = khóa quá cũ: không nhận gói mới
ui-admin-classic-only = chỉ có khóa cổ điển: gói đến và đi từ quầy này vẫn là cổ điển cho đến khi thiết bị chạy `referral rotate`
ui-admin-revoke-link = Thu hồi…
ui-admin-revoke-title = Thu hồi thiết bị
ui-admin-revoke-explain = Không thể hoàn tác việc thu hồi. Máy chủ chuyển tiếp sẽ từ chối thiết bị từ yêu cầu tiếp theo, và không ai mã hóa gói mới cho nó nữa. Muốn dùng lại thiết bị, phải đăng ký lại bằng một mã mời mới.
ui-admin-revoke-this-device = Đây là thiết bị bạn đang dùng. Sau khi thu hồi, thiết bị này sẽ không kết nối được với máy chủ chuyển tiếp.
ui-admin-revoke-button = Thu hồi thiết bị này
ui-admin-revoke-no-device = Danh bạ không có thiết bị đang hoạt động nào với mã này: có thể nó đã bị thu hồi.
ui-admin-revoked = Đã thu hồi (mục danh bạ { $seq }).

ui-admin-audit-verified = Đã xác minh: mọi mục đều do quản trị viên ký và nối liền về gốc đã ghim, và nhật ký nối tiếp bản sao trên thiết bị này.
ui-admin-audit-cached = Đây là bản sao đã xác minh trên thiết bị này. Để tải toàn bộ nhật ký từ máy chủ chuyển tiếp và xác minh lại từ gốc đã ghim, hãy bấm nút.
ui-admin-audit-verify-button = Xác minh toàn bộ nhật ký
ui-admin-audit-root = Gốc đã ghim
ui-admin-audit-head = Mục mới nhất
ui-admin-audit-caption = { $count } mục, mới nhất trước
ui-admin-audit-seq = Số
ui-admin-audit-time = Thời điểm ký
ui-admin-audit-kind = Thay đổi
ui-admin-audit-subject = Đối tượng
ui-admin-audit-signer = Người ký

ui-admin-kind-genesis = Tạo danh bạ
ui-admin-kind-desk-created = Tạo quầy
ui-admin-kind-device-enrolled = Đăng ký thiết bị
ui-admin-kind-device-rotated = Đổi khóa thiết bị
ui-admin-kind-device-revoked = Thu hồi thiết bị
ui-admin-kind-root-rotated = Chuyển giao gốc quản trị
ui-admin-kind-token-key-rotated = Đổi khóa ký token của máy chủ chuyển tiếp
ui-admin-kind-key-age-policy = Đặt giới hạn tuổi khóa

ui-outbox-title = Hộp thư đi
ui-outbox-explain = Các gói này đã được niêm phong nhưng máy chủ chuyển tiếp chưa xác nhận, thường là do không kết nối được.
ui-outbox-caption = { $count } gói đang chờ
ui-outbox-to = Gửi đến quầy
ui-outbox-sealed = Niêm phong lúc
ui-outbox-size = Kích thước
ui-outbox-packet = Gói
ui-outbox-drop-link = Bỏ gửi…
ui-outbox-resend-how = Để gửi lại, hãy làm lại đúng thao tác đó (cùng giấy giới thiệu, trả lời hoặc chuyển tiếp): cùng một gói đã niêm phong sẽ được gửi, và máy chủ chuyển tiếp chỉ lưu một lần.
ui-outbox-drop-title = Bỏ gửi một gói
ui-outbox-drop-explain = Gói sẽ bị xóa mà không được gửi. Quầy nhận sẽ không nhận được; nếu vẫn muốn gửi, bạn phải soạn lại.
ui-outbox-drop-button = Xóa mà không gửi
ui-outbox-dropped = Đã xóa gói mà không gửi.
ui-outbox-not-waiting = Gói này không còn trong hộp thư đi: có thể đã được gửi hoặc bị xóa.
ui-outbox-back = Quay lại hộp thư đi
