# Cụm mật khẩu của kho khóa: lời nhắc và lỗi.

passphrase-prompt-unlock = Cụm mật khẩu của kho khóa trong { $home }:{ " " }
passphrase-prompt-create = Chọn cụm mật khẩu cho kho khóa mới trong { $home }:{ " " }
passphrase-prompt-again = Nhập lại:{ " " }
passphrase-source-prompt = cụm mật khẩu
passphrase-source-file = tệp cụm mật khẩu { $path }
passphrase-env-not-utf8 = { $name } không phải UTF-8 hợp lệ
passphrase-none-available = không có cụm mật khẩu: dùng --passphrase-file FILE, đặt { $name }, hoặc chạy trong terminal để được hỏi
passphrase-file-unreadable = không đọc được tệp cụm mật khẩu { $path }
passphrase-file-line-too-long = dòng đầu của tệp cụm mật khẩu { $path } dài hơn { $max } byte
passphrase-file-not-utf8 = tệp cụm mật khẩu { $path } không phải UTF-8
passphrase-terminal-unreadable = không đọc được cụm mật khẩu từ terminal
passphrase-mismatch = hai cụm mật khẩu không khớp; chưa tạo gì cả
passphrase-empty = { $source } trống; không chấp nhận cụm mật khẩu trống
passphrase-too-weak = { $source } quá yếu: { $problem }
passphrase-too-short = có { $chars } ký tự, cần ít nhất { $min }
passphrase-guessable = dễ bị đoán ra nhanh
passphrase-advice = Hãy chọn cụm mật khẩu gồm bốn từ trở lên không liên quan đến nhau, hoặc một câu chỉ bạn mới viết ra (ít nhất { $min } ký tự); tránh tên, ngày tháng và câu quen thuộc.
