# referral send / reply / forward: kết quả gửi và các lỗi trước khi mã hóa.

send-done = Đã gửi { $kind } { $packet } đến { $desk } ({ $bytes } byte, { $attachments } tệp đính kèm, mã hóa cho { $keys } khóa thiết bị).
send-thread = mã hồ sơ:  { $thread }
send-next = Theo dõi hồ sơ bằng: referral thread { $thread }
send-cannot-read = không đọc được { $path }: { $error }
reply-done = Đã trả lời hồ sơ { $thread }: trạng thái hiện là { $status } (gói { $packet }, { $bytes } byte, gửi đến { $desk }).
reply-refused-as-recipient = hồ sơ đang ở trạng thái { $current_words } ({ $current }); là quầy nhận hồ sơ, quầy này không thể chuyển sang { $status }.
reply-refused-as-sender = hồ sơ đang ở trạng thái { $current_words } ({ $current }); là quầy gửi hồ sơ, quầy này không thể chuyển sang { $status }.
reply-open-first = Hãy mở giới thiệu trước (`referral inbox`, `referral open MÃ_GÓI`): mở sẽ xác nhận đã nhận, sau đó quầy có thể trả lời.
reply-no-further-change = Không thể thay đổi thêm.
reply-possible-now = Có thể chọn lúc này: { $statuses }.
reply-no-local-record = thiết bị này không có hồ sơ { $thread } (hồ sơ được mở trên thiết bị khác): đã gửi trả lời, nhưng chỉ thiết bị đó lưu hồ sơ
forward-random-failed = bộ sinh số ngẫu nhiên của hệ thống bị lỗi
forward-cannot-create = không tạo được { $path }: { $error }
forward-to-own-desk = hồ sơ đã ở { $desk }; hãy chuyển tiếp đến quầy hỗ trợ khác
forward-not-opened = thiết bị này chưa mở gói { $packet }: hãy chạy `referral open { $packet }` trước
forward-only-recipient = chỉ quầy nhận giới thiệu mới có thể chuyển tiếp; quầy này là bên gửi
forward-is-a-reply = gói { $packet } là một trả lời; hãy chuyển tiếp giới thiệu ban đầu của hồ sơ
forward-no-consent = sự đồng ý của người được giới thiệu không cho phép giới thiệu tiếp (consent.scope là { $scope }, không phải { $allowed }): chưa chuyển tiếp. Nhân viên tư vấn đã giới thiệu hồ sơ phải ghi nhận sự đồng ý trước
forward-attachment-not-saved = tệp đính kèm { $name } chưa được lưu
