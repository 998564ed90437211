# Tên hiển thị của các giá trị liệt kê (client-cli/src/referral/words.rs).


need-vaccination-voucher = phiếu tiêm chủng
need-vaccination-booking = đặt lịch tiêm chủng
need-interpretation = phiên dịch
need-medical = y tế
need-legal = tư vấn pháp lý
need-housing = nhà ở
need-labour = việc làm và lao động
need-livelihood = sinh hoạt (tiền, thực phẩm)
need-other = khác

urgency-low = thấp
urgency-normal = bình thường
urgency-high = cao
urgency-urgent = khẩn cấp

residence-resident-registered = có thẻ cư trú, đã đăng ký cư trú
residence-short-term-3-months-or-less = lưu trú ngắn hạn (tối đa 3 tháng)
residence-provisional-release = đang được tạm tha (karihōmen)
residence-applying-provisional-release = đang xin tạm tha
residence-undocumented = không có tư cách lưu trú
residence-unknown = không rõ hoặc không muốn nói

document-immigration-postcard = bưu thiếp của Cục Xuất nhập cảnh
document-passport = hộ chiếu
document-proof-of-residency = giấy tờ chứng minh nơi ở
document-provisional-release-permit = giấy phép tạm tha
document-none = không có

consent-this-desk = chỉ quầy hỗ trợ này (không giới thiệu tiếp)
consent-onward-referral-allowed = quầy hỗ trợ này, và được phép giới thiệu tiếp

status-sent = đã gửi
status-received = đã nhận
status-accepted = đã tiếp nhận
status-rejected = từ chối
status-in-progress = đang xử lý
status-completed = hoàn tất
status-cancelled = đã hủy
status-forwarded = đã chuyển tiếp
status-expired = hết hạn

role-caseworker = nhân viên tư vấn
role-desk = quầy hỗ trợ
role-admin = quản trị viên

device-status-active = đang hoạt động
device-status-revoked = đã thu hồi

language-ja = tiếng Nhật (tiếng Nhật dễ hiểu)
language-en = tiếng Anh
language-zh-hans = tiếng Trung (giản thể)
language-zh-hant = tiếng Trung (phồn thể)
language-ko = tiếng Hàn
language-es = tiếng Tây Ban Nha
language-pt = tiếng Bồ Đào Nha
language-vi = tiếng Việt
language-ne = tiếng Nepal
language-th = tiếng Thái
language-id = tiếng Indonesia
language-tl = tiếng Tagalog
language-my = tiếng Miến Điện
language-km = tiếng Khmer
language-mn = tiếng Mông Cổ
language-fr = tiếng Pháp
language-si = tiếng Sinhala
language-ur = tiếng Urdu
language-bn = tiếng Bengal
language-ar = tiếng Ả Rập
language-fa = tiếng Ba Tư
language-ms = tiếng Mã Lai
language-ru = tiếng Nga

prefecture-jp-01 = Hokkaido
prefecture-jp-02 = Aomori
prefecture-jp-03 = Iwate
prefecture-jp-04 = Miyagi
prefecture-jp-05 = Akita
prefecture-jp-06 = Yamagata
prefecture-jp-07 = Fukushima
prefecture-jp-08 = Ibaraki
prefecture-jp-09 = Tochigi
prefecture-jp-10 = Gunma
prefecture-jp-11 = Saitama
prefecture-jp-12 = Chiba
prefecture-jp-13 = Tokyo
prefecture-jp-14 = Kanagawa
prefecture-jp-15 = Niigata
prefecture-jp-16 = Toyama
prefecture-jp-17 = Ishikawa
prefecture-jp-18 = Fukui
prefecture-jp-19 = Yamanashi
prefecture-jp-20 = Nagano
prefecture-jp-21 = Gifu
prefecture-jp-22 = Shizuoka
prefecture-jp-23 = Aichi
prefecture-jp-24 = Mie
prefecture-jp-25 = Shiga
prefecture-jp-26 = Kyoto
prefecture-jp-27 = Osaka
prefecture-jp-28 = Hyogo
prefecture-jp-29 = Nara
prefecture-jp-30 = Wakayama
prefecture-jp-31 = Tottori
prefecture-jp-32 = Shimane
prefecture-jp-33 = Okayama
prefecture-jp-34 = Hiroshima
prefecture-jp-35 = Yamaguchi
prefecture-jp-36 = Tokushima
prefecture-jp-37 = Kagawa
prefecture-jp-38 = Ehime
prefecture-jp-39 = Kochi
prefecture-jp-40 = Fukuoka
prefecture-jp-41 = Saga
prefecture-jp-42 = Nagasaki
prefecture-jp-43 = Kumamoto
prefecture-jp-44 = Oita
prefecture-jp-45 = Miyazaki
prefecture-jp-46 = Kagoshima
prefecture-jp-47 = Okinawa

packet-kind-referral = giới thiệu
packet-kind-reply = trả lời
packet-kind-forward = chuyển tiếp
