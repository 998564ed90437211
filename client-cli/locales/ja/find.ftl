# 案件の検索と窓口の選択（cases --search、directory の絞り込み）。

cases-search-none = この端末の案件に「{ $query }」に一致するものはありません。案件の整理番号、ご本人の名前、電話番号のいずれかで検索してください。
directory-desk-prefecture = 都道府県：{ $prefecture }
directory-desk-languages = 対応言語：{ $languages }
directory-filter-none = --language と --prefecture の条件に合う窓口は窓口名簿にありません。条件を1つにするか、条件なしで実行してすべての窓口を表示してください。
directory-unknown-language = 「{ $lang }」は登録されている言語コードではありません。vi、en、ja、zh-Hans など、言語一覧のコードを指定してください。
directory-unknown-prefecture = 「{ $code }」は都道府県コードではありません。JP-01～JP-47 を指定してください（例：東京都は JP-13）。
directory-post-quantum-required = 耐量子暗号:     必須（従来方式のパケットは拒否されます）
directory-device-classic-only = 従来方式の鍵のみ：referral rotate を実行してください
