# Cập nhật dữ liệu hồ sơ trước `cases` và `report`
# (client-cli/src/workflow/sync.rs, ADR 0014).

sync-stale = Không kết nối được máy chủ chuyển tiếp, nên đây là dữ liệu hồ sơ của thiết bị này tính đến lần đồng bộ cuối lúc { $when }. Trạng thái có thể đã cũ: hãy chạy lại lệnh khi kết nối được máy chủ chuyển tiếp.
sync-stale-never = Không kết nối được máy chủ chuyển tiếp, và dữ liệu hồ sơ của thiết bị này chưa từng được đồng bộ, nên trạng thái có thể đã cũ. Hãy chạy lại lệnh khi kết nối được máy chủ chuyển tiếp.
sync-reply-failed = Không mở được phản hồi cho hồ sơ { $thread } ({ $reason }). Phản hồi vẫn được giữ trên máy chủ chuyển tiếp; `referral thread { $thread }` cho biết chi tiết.
