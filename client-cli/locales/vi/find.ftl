# Tìm hồ sơ và chọn văn phòng (cases --search, lọc directory).

cases-search-none = Không có hồ sơ nào trên thiết bị này khớp với “{ $query }”. Hãy tìm theo mã hồ sơ, tên người hoặc số điện thoại.
