# Tìm hồ sơ và chọn văn phòng (cases --search, lọc directory).

cases-search-none = Không có hồ sơ nào trên thiết bị này khớp với “{ $query }”. Hãy tìm theo mã hồ sơ, tên người hoặc số điện thoại.
directory-desk-prefecture = tỉnh/thành phố: { $prefecture }
directory-desk-languages = ngôn ngữ: { $languages }
directory-filter-none = Không có quầy hỗ trợ nào trong danh bạ khớp với --language và --prefecture. Hãy thử lại chỉ với một điều kiện, hoặc bỏ cả hai để xem tất cả các quầy.
directory-unknown-language = “{ $lang }” không phải là mã ngôn ngữ đã biết. Hãy dùng một mã trong danh sách ngôn ngữ, ví dụ vi, en, ja hoặc zh-Hans.
directory-unknown-prefecture = “{ $code }” không phải là mã tỉnh/thành phố. Hãy dùng JP-01 đến JP-47, ví dụ JP-13 là Tokyo.
directory-post-quantum-required = hậu lượng tử:   bắt buộc (gói cổ điển bị từ chối)
directory-device-classic-only = chỉ có khóa cổ điển: hãy chạy `referral rotate`
