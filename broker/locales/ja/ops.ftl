# referral-broker が起動・バックアップ・検査について運用担当者に伝える文言（ADR 0013）。ログは英語のまま。

bootstrap-new-code = この中継サーバーはまだ管理者に登録されていません。初期設定コード（1回限り、24時間有効）:

    {"    "}{ $code }

    同じコードを { $path }（権限 0600）にも保存しました。最初の管理者がこのコードで中継サーバーを登録します（`referral admin bootstrap`）。その管理者の端末の鍵が窓口名簿の最初の項目に署名し、ルートになります。
bootstrap-pending = この中継サーバーはまだ管理者に登録されていません。初期設定コードは { $path } にあります。
migrate-done = データベースの移行は最新です。
broker-failed = referral-broker が停止しました: { $detail }
startup-config-unreadable = 中継サーバーを起動できませんでした。設定ファイル { $path } を読み込めません（{ $detail }）。--config または REFERRAL_BROKER_CONFIG で指定したパスとファイルの権限を確認してから、もう一度起動してください。ファイルは何も作成していません。
startup-config-bad = 中継サーバーを起動できませんでした。設定ファイル { $path } の内容が正しくありません（{ $detail }）。修正してから（すべての項目と意味は deploy/broker.toml にあります）、もう一度起動してください。ファイルは何も作成していません。
startup-config-invalid = 中継サーバーを起動できませんでした。設定値が正しくありません（{ $detail }）。設定ファイル、環境変数またはオプションで修正してから、もう一度起動してください。ファイルは何も作成していません。
startup-port-busy = 中継サーバーを起動できませんでした。アドレス { $address }（{ $setting }）は別のプログラムが使用中です。そのプログラムを止める（`ss -ltnp` で確認できます）か、{ $setting } で別のアドレスを指定してから、もう一度起動してください。ファイルは何も作成していません。
startup-listen-failed = 中継サーバーを起動できませんでした。{ $address }（{ $setting }）で待ち受けできません: { $detail }。このホストにあり、中継サーバーのユーザーが使えるアドレスを指定してから、もう一度起動してください。ファイルは何も作成していません。
startup-tls = 中継サーバーを起動できませんでした。TLS 証明書 { $cert } と秘密鍵 { $key } を読み込めません（{ $detail }）。どちらも読み取り可能な PEM ファイルで、対になっていることを確認してから、もう一度起動してください。ファイルは何も作成していません。
startup-database = 中継サーバーを起動できませんでした。PostgreSQL データベース { $url } を使用できません（{ $detail }）。サーバーが動いていてこのホストからの接続を受け付けること、URL（--database-url、REFERRAL_BROKER_DATABASE_URL または database_url）が正しいことを確認してから、もう一度起動してください。ファイルは何も作成していません。
startup-data-dir = 中継サーバーを起動できませんでした。データディレクトリ { $path } を作成または書き込みできません（{ $detail }）。中継サーバーのユーザーが所有するディレクトリを用意する（例: `install -d -m 700`）か、--data-dir で別の場所を指定してから、もう一度起動してください。
startup-sqlite = 中継サーバーを起動できませんでした。{ $data_dir } の SQLite データベースを開けません（{ $detail }）。`referral-broker check --data-dir { $data_dir }` を実行し、損傷が見つかった場合は最新のバックアップから復元してください（docs/deployment.md）。
startup-directory-log = 中継サーバーを起動できませんでした。データベースの窓口名簿が検証できません（{ $detail }）。このままでは端末側が受け入れません。`referral-broker check` で問題を確認し、検査に合格する最新のバックアップから復元してください（docs/deployment.md）。
startup-other = 中継サーバーを起動できませんでした: { $detail }
backup-use-pg-dump = この中継サーバーのデータは PostgreSQL にあるため、`backup` ではコピーしません。PostgreSQL のツールを使ってください（パスワードは ~/.pgpass または PGPASSWORD に設定します）:

    {"    "}{ $command }

    pg_restore による復元手順は docs/deployment.md にあります。
backup-done = { $data_dir } を { $path } にバックアップしました（{ $bytes } バイト、権限 0600）。使う前に、そのコピーで `referral-broker check` を実行してください。
backup-out-exists = バックアップは作成していません。{ $path } はすでに存在します。バックアップは既存のファイルを上書きしません。--out で新しい名前を指定してください。
backup-no-database = バックアップは作成していません。{ $path } にデータベースがありません。--data-dir（または設定ファイルの data_dir）を確認してください。
backup-failed = バックアップは作成していません: { $detail }。出力先のディレクトリに書き込めて空き容量があることを確認してから、もう一度実行してください。
check-database-sqlite = { $data_dir } の SQLite データベースを検査します:
check-database-postgres = { $url } の PostgreSQL データベースを検査します:
check-unreadable = ✗ データベースを読み込めません: { $detail }
check-integrity-ok = ✓ integrity_check: 損傷はありません
check-integrity-bad = ✗ integrity_check で { $count } 件の問題が見つかりました。最初の問題: { $first }
check-integrity-postgres = ✓ ページの検査: PostgreSQL が自身で検査します（詳しく調べるには pg_amcheck を実行してください）
check-foreign-keys-ok = ✓ 外部キー: すべての参照先があります
check-foreign-keys-bad = ✗ 外部キー: { $rows } 行が存在しない参照先を指しています
check-migrations-ok = ✓ 移行: { $known } 件中 { $applied } 件を適用済み、不明なものはありません
check-migrations-bad = ✗ 移行: 未適用 { $missing }、この中継サーバーが知らないもの { $unknown }、内容の変更 { $changed }、失敗 { $failed }
check-directory-skipped = – 窓口名簿: 移行が済んでいないため検査していません
check-directory-unclaimed = ✓ 窓口名簿: 空です（中継サーバーはまだ管理者に登録されていません）
check-directory-ok = ✓ 窓口名簿: 最初の項目から { $entries } 件の署名とハッシュの連鎖を検証しました。ルートのフィンガープリント { $root }
check-directory-bad = ✗ 窓口名簿: { $detail }
check-passed = すべての検査に合格しました。
check-failed = { $problems } 件の問題が見つかりました。このデータベースでは運用せず、検査に合格する最新のバックアップから復元してください（docs/deployment.md）。
