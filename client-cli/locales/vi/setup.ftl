# Thiết lập thiết bị: referral init / whoami / enroll.

device-created = Đã tạo kho khóa thiết bị mới trong { $home }
device-not-enrolled = (chưa đăng ký)
device-label-id = mã thiết bị
device-label-fingerprint = dấu vân tay khóa
device-label-age-recipient = khóa nhận age
device-label-classic-recipient = khóa cổ điển
device-post-quantum-recipient = { $start }…{ $end } (hậu lượng tử; `referral whoami --json` hiện toàn bộ)
device-label-signing-key = khóa ký
device-label-broker = máy chủ
device-label-root = khóa gốc quản trị
device-root-pinned = { $fingerprint } (đã ghim)
device-root-not-pinned = chưa ghim (tin ở lần dùng đầu)
device-label-desk = quầy hỗ trợ
device-label-role = vai trò
device-label-home = thư mục
device-next-enroll = Bước tiếp theo: nhận mã mời từ quản trị viên, rồi chạy
      referral enroll --code MÃ_MỜI
    Quản trị viên sẽ hỏi dấu vân tay khóa ở trên trước khi phê duyệt.
init-trust-on-first-use = không có --root-fingerprint: thiết bị này sẽ tin khóa gốc quản trị đầu tiên mà máy chủ chuyển tiếp đưa ra (tin ở lần dùng đầu). Ai kiểm soát máy chủ lúc đó có thể thay bằng khóa gốc của họ. Khi referral hiện dấu vân tay khóa gốc, hãy đối chiếu với quản trị viên qua một kênh khác (gặp trực tiếp hoặc gọi điện) trước khi dùng thiết bị này, hoặc chạy lại init với --root-fingerprint FP trong một --home mới.
init-bad-broker = không dùng được --broker { $broker }
enroll-asked = Đã xin tham gia quầy hỗ trợ { $desk } với vai trò { $role }. Yêu cầu: { $request }
enroll-fingerprint = dấu vân tay khóa: { $fingerprint }
enroll-next = Hãy đọc dấu vân tay khóa này cho quản trị viên khi gặp trực tiếp hoặc qua điện thoại (không dùng cùng kênh với mã mời). Họ phê duyệt bằng
      referral admin approve { $request } --fingerprint "{ $fingerprint }"
    Sau đó `referral directory` sẽ hiện thiết bị này tại quầy của nó.
enroll-already-enrolled = thiết bị này đã được đăng ký (quầy { $desk }, vai trò { $role })
enroll-unknown-desk = mã mời dành cho quầy { $desk }, nhưng danh bạ đã xác minh không có quầy này
enroll-fingerprint-differs = máy chủ chuyển tiếp ghi dấu vân tay { $recorded } nhưng của thiết bị này là { $fingerprint }; đừng để yêu cầu này được phê duyệt
