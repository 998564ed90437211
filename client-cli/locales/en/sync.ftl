# Bringing the case store up to date before `cases` and `report`
# (client-cli/src/workflow/sync.rs, ADR 0014).

sync-stale = The broker cannot be reached, so this is this device's case store as of the last sync at { $when }. Statuses may be behind: run the command again when the broker can be reached.
sync-stale-never = The broker cannot be reached, and this device has never synced its case store with it, so statuses may be behind. Run the command again when the broker can be reached.
sync-reply-failed = A reply on case { $thread } could not be opened ({ $reason }). It was left on the broker; `referral thread { $thread }` shows the details.
