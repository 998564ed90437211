# `referral outbox`: các gói đã mã hóa đang chờ gửi lại (ADR 0015).

outbox-empty = Hộp thư đi không có gì đang chờ.
outbox-entry = { $id }  gửi { $desk }  { $size }  mã hóa { $age }
outbox-hint = Để gửi lại một gói, hãy chạy lại đúng lệnh send, reply hoặc forward đó; máy chủ chuyển tiếp chỉ lưu nó một lần. Để bỏ một gói: referral outbox drop ID
outbox-dropped = Đã xóa gói { $id } (gửi { $desk }) khỏi hộp thư đi. Gói chưa được gửi; máy chủ chuyển tiếp không có gì thay đổi.
outbox-size-kib = { $kib } KiB
outbox-size-mib = { $mib } MiB
outbox-age-now = vừa xong
outbox-age-minutes = { $count } phút trước
outbox-age-hours = { $count } giờ trước
outbox-age-days = { $count } ngày trước
outbox-kept = Gói đã mã hóa { $id } (gửi { $desk }) được giữ trong hộp thư đi. Để gửi, hãy chạy lại đúng lệnh đó; máy chủ chuyển tiếp chỉ lưu nó một lần. Để bỏ gói: referral outbox drop { $id }
outbox-retrying = Lần thử { $attempt } trên { $attempts } không đến được máy chủ chuyển tiếp; thử lại sau { $ms } ms với cùng gói.
outbox-interrupted = Đã dừng. { $kept }
