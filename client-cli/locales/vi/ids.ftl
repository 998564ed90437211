# Mã số nhập tay (client-cli/src/id_prefix.rs).

id-prefix-too-short = “{ $typed }” quá ngắn để xác định một mã. Hãy nhập ít nhất { $min } ký tự.
id-prefix-no-match = Không có mã nào bắt đầu bằng “{ $typed }”. Hãy xem lại danh sách và nhập lại.
id-prefix-ambiguous = Có nhiều mã bắt đầu bằng “{ $typed }”. Hãy nhập thêm ký tự của mã bạn muốn:
    { $matches }
