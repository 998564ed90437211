# Các cụm từ dùng chung cho nhiều lệnh. Bảng thuật ngữ: docs/i18n.md.

time-broker-hour = trong khoảng { $from } đến { $to } (máy chủ chuyển tiếp làm tròn theo giờ)
lang-unsupported = Không có thông báo bằng “{ $lang }”. Hãy dùng --lang en, ja hoặc vi.
