# Những gì referral-broker hiển thị cho người vận hành. Nhật ký vẫn bằng tiếng Anh (ADR 0012).

purge-done = Đã xóa { $purged } gói đã được xác nhận, cho hết hạn { $expired } gói chưa đọc, xóa { $threads } luồng đã đóng quá thời hạn lưu giữ (chỉ giữ lại số đếm theo tuần) và xóa { $spool_files } tệp tạm còn lại sau sự cố.
