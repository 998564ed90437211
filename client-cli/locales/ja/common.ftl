# 各コマンドで共通の語句。用語集は docs/i18n.md を参照。

time-broker-hour = { $from }～{ $to }（中継サーバーの記録は1時間単位）
lang-unsupported = 「{ $lang }」の表示には対応していません。--lang には en、ja、vi のいずれかを指定してください。
