# 端末の鍵ストア。

keystore-not-initialized = { $home } に端末の鍵ストアがありません。先に referral init --broker URL を実行するか、正しい --home を指定してください。
keystore-already-exists = { $path } はすでにあります。端末の鍵ストアは上書きしません。別の --home を指定してください。古い鍵ストアを移動するのは、その鍵が必要なパケットが今後ないと確実な場合だけにしてください。
keystore-missing = { $device_file } はありますが { $path } がありません。バックアップから復元してください。
keystore-wrong-passphrase = パスフレーズが違います（鍵ストアを開けませんでした）。
keystore-file-damaged = { $file } が壊れているか、変更されています：{ $reason }
keystore-mismatch = { $keystore_file } と { $device_file } の内容が一致しません（{ $what }）。どちらも使用しません。どちらかが差し替えられたか、別のバックアップから復元されています。
keystore-unsupported-version = { $file } の形式バージョン { $version } には、このバージョンの referral は対応していません。referral を更新してください。
