# referral cases: danh sách hồ sơ trên thiết bị này.

cases-none = Không có hồ sơ nào.
cases-column-thread = mã hồ sơ
cases-column-status = trạng thái
cases-column-direction = gửi/nhận
cases-column-other-desk = quầy bên kia
cases-column-need = nhu cầu
cases-column-language = ngôn ngữ
cases-column-prefecture = tỉnh
cases-column-referred = ngày giới thiệu
cases-direction-sent = gửi
cases-direction-received = nhận
cases-footnote-broker = * do máy chủ chuyển tiếp báo, không phải từ gói có chữ ký
cases-count = { $count } hồ sơ. Xem chi tiết: referral thread MÃ_HỒ_SƠ
cases-bad-status = --status: { $error }
