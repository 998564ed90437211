# Lệnh của quản trị viên: khởi tạo, quầy, mời, phê duyệt, thu hồi, chính sách khóa.

admin-bootstrap-done = Đã nhận quyền quản lý máy chủ { $broker }.
    Thiết bị này ({ $device }) giờ là gốc quản trị.
admin-root-fingerprint = dấu vân tay gốc: { $fingerprint }
admin-bootstrap-next = Hãy đưa dấu vân tay này cho mọi nhân viên tư vấn và thành viên quầy, để dùng trong
      referral init --broker { $broker } --root-fingerprint "{ $fingerprint }"
    Tiếp theo: referral admin desk add ID --name TÊN
admin-desk-created = Đã tạo quầy { $desk } ({ $name }), mục danh bạ { $seq }.
admin-desk-next = Tiếp theo: referral admin invite --desk { $desk } --role desk|caseworker
admin-key-policy-set = Khóa thiết bị cũ hơn { $days } ngày không còn nhận gói mới (mục danh bạ { $seq }). Chủ thiết bị sẽ được nhắc chạy `referral rotate`.
admin-key-policy-lifted = Đã bỏ giới hạn tuổi khóa (mục danh bạ { $seq }).
admin-key-policy-pq-required = Từ nay gói phải được niêm phong hậu lượng tử (mục danh bạ { $seq }). Máy khách từ chối niêm phong bằng khóa cổ điển, và người nhận từ chối gói cổ điển được ký sau thời điểm này.
admin-key-policy-pq-lifted = Đã bỏ yêu cầu hậu lượng tử (mục danh bạ { $seq }). Quầy mà mọi thiết bị đều có khóa hậu lượng tử vẫn nhận gói hậu lượng tử.
admin-key-policy-pq-holding-back = Có { $count } thiết bị chưa có khóa hậu lượng tử. Không thể gửi gói đến hoặc từ quầy của chúng cho đến khi chủ thiết bị chạy `referral rotate` và bạn phê duyệt:
admin-invite-code = mã mời: { $code }
admin-invite-for = cho quầy { $desk } với vai trò { $role }, hiệu lực đến { $until }.
admin-invite-next = Hãy đưa mã này riêng cho thành viên mới. Trên thiết bị của họ:
      referral init --broker URL --root-fingerprint FP
      referral enroll --code { $code }
    rồi kiểm tra dấu vân tay họ đọc cho bạn và chạy
      referral admin approve MÃ_YÊU_CẦU --fingerprint FP
admin-pending-none = Không có yêu cầu nào đang chờ.
admin-request-enrollment = đăng ký
admin-request-rotation = đổi khóa
admin-pending-line = quầy { $desk }  vai trò { $role }  thiết bị { $device }  từ { $since }
admin-fingerprint = dấu vân tay { $fingerprint }
admin-pending-next = Hãy đối chiếu từng dấu vân tay với chủ thiết bị (gặp trực tiếp hoặc qua điện thoại), rồi:
      referral admin approve MÃ_YÊU_CẦU --fingerprint FP
admin-approved-enrollment = Đã đăng ký thiết bị { $device } (quầy { $desk }, vai trò { $role }), mục danh bạ { $seq }.
admin-approved-rotation = Đã phê duyệt khóa mới của thiết bị { $device } (quầy { $desk }, vai trò { $role }), mục danh bạ { $seq }.
admin-revoked = Đã thu hồi thiết bị { $device } (quầy { $desk }), mục danh bạ { $seq }.
admin-revoked-next = Máy chủ chuyển tiếp từ chối thiết bị này từ yêu cầu tiếp theo; các thiết bị khác ngừng mã hóa cho nó ở lần đồng bộ danh bạ tiếp theo.
admin-broker-key-rotated = Máy chủ chuyển tiếp giờ ký token bằng khóa { $kid } (mục danh bạ { $seq }).
admin-broker-key-old-tokens = Token được ký bằng khóa trước vẫn hợp lệ đến khi hết hạn (tối đa 15 phút).
admin-root-rotated = Gốc quản trị đã chuyển sang một khóa mới trên thiết bị này (mục danh bạ { $seq }).
admin-root-new = gốc mới:    { $fingerprint }
admin-root-previous = gốc trước:  { $fingerprint }
admin-root-rotated-next = Các thiết bị đã thiết lập vẫn hoạt động: chúng xác minh việc bàn giao, được ký bởi cả gốc trước và gốc mới. Thiết bị mới vẫn ghim dấu vân tay gốc ban đầu mà `referral directory` hiển thị.
admin-root-not-held = chỉ thiết bị gốc mới có thể bàn giao gốc; thiết bị này không giữ khóa gốc hiện tại
admin-root-key-lost = kho khóa không còn giữ khóa gốc
