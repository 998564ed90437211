# 案件の検索と窓口の選択（cases --search、directory の絞り込み）。

cases-search-none = この端末の案件に「{ $query }」に一致するものはありません。案件の整理番号、ご本人の名前、電話番号のいずれかで検索してください。
