# 鍵ストアのパスフレーズ：入力の案内とお断り。

passphrase-prompt-unlock = { $home } の鍵ストアのパスフレーズ：
passphrase-prompt-create = { $home } に作成する鍵ストアのパスフレーズを決めてください：
passphrase-prompt-again = 確認のため、もう一度入力してください：
passphrase-source-prompt = パスフレーズ
passphrase-source-file = パスフレーズファイル { $path }
passphrase-env-not-utf8 = { $name } が UTF-8 ではありません。
passphrase-none-available = パスフレーズがありません。--passphrase-file FILE を指定するか、{ $name } を設定するか、端末から実行して入力してください。
passphrase-file-unreadable = パスフレーズファイル { $path } を読み込めません。
passphrase-file-line-too-long = パスフレーズファイル { $path } の1行目が { $max }バイトを超えています。
passphrase-file-not-utf8 = パスフレーズファイル { $path } が UTF-8 ではありません。
passphrase-terminal-unreadable = 端末からパスフレーズを読み込めません。
passphrase-mismatch = 2回の入力が一致しません。何も作成していません。
passphrase-empty = { $source } が空です。空のパスフレーズは使えません。
passphrase-too-weak = { $source } は安全性が不十分です：{ $problem }
passphrase-too-short = { $chars }文字です。{ $min }文字以上必要です。
passphrase-guessable = すぐに推測されてしまいます。
passphrase-advice = 互いに関係のない4つ以上の単語や、自分にしか書けない文（{ $min }文字以上）にしてください。名前、日付、よく知られた言い回しは避けてください。
