# Những gì referral-broker hiển thị cho người vận hành. Nhật ký vẫn bằng tiếng Anh (ADR 0012).

purge-done = Đã xóa { $purged } gói đã được xác nhận, cho hết hạn { $expired } gói chưa đọc và xóa { $spool_files } tệp tạm còn lại sau sự cố.
