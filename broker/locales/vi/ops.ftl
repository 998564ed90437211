# Những gì referral-broker báo cho người vận hành về khởi động, sao lưu và kiểm tra (ADR 0013). Nhật ký vẫn bằng tiếng Anh.

bootstrap-new-code = Máy chủ chuyển tiếp này chưa có quản trị viên nhận. Mã khởi tạo (dùng một lần, hiệu lực 24 giờ):

    {"    "}{ $code }

    Mã cũng được lưu trong { $path } (quyền 0600). Quản trị viên đầu tiên dùng mã này để nhận máy chủ (`referral admin bootstrap`): khóa trên thiết bị của họ ký mục đầu tiên của danh bạ và trở thành khóa gốc.
bootstrap-pending = Máy chủ chuyển tiếp này chưa có quản trị viên nhận; mã khởi tạo nằm trong { $path }.
migrate-done = Cơ sở dữ liệu đã được cập nhật đầy đủ.
broker-failed = referral-broker đã dừng: { $detail }
startup-config-unreadable = Máy chủ chuyển tiếp không khởi động được: không đọc được tệp cấu hình { $path } ({ $detail }). Hãy kiểm tra đường dẫn trong --config hoặc REFERRAL_BROKER_CONFIG và quyền của tệp, rồi khởi động lại. Không có tệp nào được tạo.
startup-config-bad = Máy chủ chuyển tiếp không khởi động được: tệp cấu hình { $path } không hợp lệ ({ $detail }). Hãy sửa tệp (deploy/broker.toml liệt kê mọi khóa và ý nghĩa), rồi khởi động lại. Không có tệp nào được tạo.
startup-config-invalid = Máy chủ chuyển tiếp không khởi động được: một thiết lập không hợp lệ ({ $detail }). Hãy sửa trong tệp cấu hình, biến môi trường hoặc tùy chọn dòng lệnh, rồi khởi động lại. Không có tệp nào được tạo.
startup-port-busy = Máy chủ chuyển tiếp không khởi động được: địa chỉ { $address } ({ $setting }) đang được một chương trình khác dùng. Hãy dừng chương trình đó (`ss -ltnp` cho biết là chương trình nào) hoặc chọn địa chỉ khác bằng { $setting }, rồi khởi động lại. Không có tệp nào được tạo.
startup-listen-failed = Máy chủ chuyển tiếp không khởi động được: không thể lắng nghe trên { $address } ({ $setting }): { $detail }. Hãy chọn một địa chỉ mà máy này có và người dùng của máy chủ được phép dùng, rồi khởi động lại. Không có tệp nào được tạo.
startup-tls = Máy chủ chuyển tiếp không khởi động được: không nạp được chứng chỉ TLS { $cert } và khóa { $key } ({ $detail }). Hãy kiểm tra rằng cả hai là tệp PEM đọc được và đi cùng nhau, rồi khởi động lại. Không có tệp nào được tạo.
startup-database = Máy chủ chuyển tiếp không khởi động được: không dùng được cơ sở dữ liệu PostgreSQL tại { $url } ({ $detail }). Hãy kiểm tra rằng máy chủ PostgreSQL đang chạy và nhận kết nối từ máy này, và URL (--database-url, REFERRAL_BROKER_DATABASE_URL hoặc database_url) là đúng, rồi khởi động lại. Không có tệp nào được tạo.
startup-data-dir = Máy chủ chuyển tiếp không khởi động được: không tạo hoặc ghi được thư mục dữ liệu { $path } ({ $detail }). Hãy cấp cho người dùng của máy chủ một thư mục thuộc quyền sở hữu của họ (ví dụ bằng `install -d -m 700`), hoặc chọn thư mục khác bằng --data-dir, rồi khởi động lại.
startup-sqlite = Máy chủ chuyển tiếp không khởi động được: không mở được cơ sở dữ liệu SQLite trong { $data_dir } ({ $detail }). Hãy chạy `referral-broker check --data-dir { $data_dir }`; nếu có hư hỏng, hãy khôi phục bản sao lưu gần nhất (docs/deployment.md).
startup-directory-log = Máy chủ chuyển tiếp không khởi động được: danh bạ trong cơ sở dữ liệu không xác minh được ({ $detail }), và các thiết bị sẽ từ chối nó. Hãy chạy `referral-broker check` để xem lỗi, rồi khôi phục bản sao lưu gần nhất vượt qua kiểm tra (docs/deployment.md).
startup-other = Máy chủ chuyển tiếp không khởi động được: { $detail }
backup-use-pg-dump = Máy chủ chuyển tiếp này lưu dữ liệu trong PostgreSQL, nên `backup` không sao chép. Hãy dùng công cụ của PostgreSQL, với mật khẩu trong ~/.pgpass hoặc PGPASSWORD:

    {"    "}{ $command }

    docs/deployment.md hướng dẫn khôi phục bằng pg_restore.
backup-done = Đã sao lưu { $data_dir } vào { $path } ({ $bytes } byte, quyền 0600). Hãy chạy `referral-broker check` trên một bản sao của nó trước khi tin dùng.
backup-out-exists = Chưa sao lưu: { $path } đã tồn tại, và bản sao lưu không bao giờ ghi đè tệp có sẵn. Hãy chọn tên mới bằng --out.
backup-no-database = Chưa sao lưu: không có cơ sở dữ liệu tại { $path }. Hãy kiểm tra --data-dir (hoặc data_dir trong tệp cấu hình).
backup-failed = Chưa sao lưu: { $detail }. Hãy kiểm tra rằng thư mục đích ghi được và còn chỗ trống, rồi thử lại.
check-database-sqlite = Kiểm tra cơ sở dữ liệu SQLite trong { $data_dir }:
check-database-postgres = Kiểm tra cơ sở dữ liệu PostgreSQL tại { $url }:
check-unreadable = ✗ Không đọc được cơ sở dữ liệu: { $detail }
check-integrity-ok = ✓ integrity_check: không thấy hư hỏng
check-integrity-bad = ✗ integrity_check thấy { $count } lỗi, lỗi đầu tiên: { $first }
check-integrity-postgres = ✓ kiểm tra trang: PostgreSQL tự kiểm tra các trang của nó (chạy pg_amcheck để kiểm tra kỹ hơn)
check-foreign-keys-ok = ✓ khóa ngoại: mọi tham chiếu đều hợp lệ
check-foreign-keys-bad = ✗ khóa ngoại: { $rows } dòng tham chiếu tới dữ liệu không tồn tại
check-migrations-ok = ✓ cập nhật cấu trúc: đã áp dụng { $applied } trên { $known }, không có bản lạ
check-migrations-bad = ✗ cập nhật cấu trúc: còn thiếu { $missing }; máy chủ này không biết { $unknown }; bị thay đổi { $changed }; thất bại { $failed }
check-directory-skipped = – danh bạ: chưa kiểm tra vì còn thiếu bản cập nhật cấu trúc
check-directory-unclaimed = ✓ danh bạ: trống (máy chủ chưa có quản trị viên nhận)
check-directory-ok = ✓ danh bạ: đã xác minh { $entries } mục từ mục đầu tiên, chữ ký và chuỗi băm; dấu vân tay khóa gốc { $root }
check-directory-bad = ✗ danh bạ: { $detail }
check-passed = Mọi kiểm tra đều đạt.
check-failed = Phát hiện { $problems } lỗi. Đừng chạy máy chủ trên cơ sở dữ liệu này; hãy khôi phục bản sao lưu gần nhất vượt qua kiểm tra (docs/deployment.md).
