# referral new --interactive (client-cli/src/commands/new_interactive.rs).

new-ask-case-reference = Mã hồ sơ của bạn (số hồ sơ nội bộ)
new-ask-need = Người này cần hỗ trợ về việc gì?
new-ask-urgency = Mức độ khẩn cấp?
new-ask-summary = Tóm tắt cho quầy tiếp nhận (chuyện gì đã xảy ra, cần hỗ trợ gì)
new-ask-person-name = Họ tên của người được giới thiệu
new-ask-preferred-language = Ngôn ngữ mà người này muốn dùng:
new-ask-interpreter-needed = Có cần phiên dịch không?
new-ask-phone = Số điện thoại
new-ask-other-contact = Cách liên lạc khác (ví dụ ứng dụng nhắn tin)
new-ask-best-times = Thời gian thuận tiện để gọi
new-ask-desk-may-call = Quầy tiếp nhận có được gọi trực tiếp cho người này không?
new-ask-prefecture = Tỉnh nơi người này sống:
new-ask-municipality = Thành phố, quận, thị trấn
new-ask-residence-category = Tình trạng cư trú, theo lời người này:
new-ask-documents-held = Giấy tờ người này đang có (có thể nhập nhiều số, cách nhau bằng dấu cách hoặc dấu phẩy):
new-ask-consent-recorded = Sự đồng ý của người này cho việc giới thiệu đã được ghi lại chưa?
new-ask-consent-scope = Ai được nhận giới thiệu này?
new-ask-obtained-at = Sự đồng ý được lấy lúc nào? (nhấn Enter để dùng thời điểm hiện tại: { $default })
new-ask-consent-method = Sự đồng ý được lấy bằng cách nào (ví dụ "bằng lời, qua điện thoại")
new-ask-consent-language = Ngôn ngữ dùng khi lấy sự đồng ý:

new-optional = { $question } (không bắt buộc, nhấn Enter để bỏ qua)
new-choice = { $number }. { $words } ({ $code })
new-choose-one = Nhập số hoặc mã:
new-choose-several = Nhập các số hoặc mã:
new-yes = Có
new-no = Không
new-answer-refused = Không dùng được câu trả lời này: { $reason }. Vui lòng nhập lại.
new-no-such-number = không có số này; hãy chọn từ 1 đến { $count }
new-not-a-choice = { $answer } không có trong danh sách; hãy nhập số từ 1 đến { $count } hoặc một mã trong ngoặc
new-required = mục này bắt buộc phải nhập
new-not-a-time = { $answer } không phải ngày giờ hợp lệ; hãy nhập theo dạng { $example }
new-consent-needed = Không thể gửi giới thiệu khi chưa ghi lại sự đồng ý của người này. Hãy hỏi họ, ghi lại sự đồng ý, rồi trả lời có.
new-ask-consent-again = Hỏi lại về sự đồng ý?

new-written = Đã ghi giới thiệu vào { $path }. Hãy kiểm tra rồi gửi bằng: referral send --to QUẦY { $path }
new-stopped-at-end = Dữ liệu nhập kết thúc trước câu hỏi cuối: chưa ghi gì cả. Hãy chạy lại referral new --interactive.
new-stopped-no-consent = Đã dừng vì chưa có sự đồng ý của người này: chưa ghi gì cả. Hãy ghi lại sự đồng ý rồi chạy lại referral new --interactive.
new-stopped-io = Không đọc được câu trả lời hoặc không hiện được câu hỏi: chưa ghi gì cả.
new-stopped-invalid = Các câu trả lời không tạo thành một giới thiệu hợp lệ: chưa ghi gì cả. Vui lòng báo lỗi này kèm các vấn đề bên dưới.
new-cannot-write = Không thể ghi giới thiệu vào { $path } (tệp đã có sẽ không bao giờ bị ghi đè); chưa ghi gì cả.
