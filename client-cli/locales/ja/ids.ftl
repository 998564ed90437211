# 手入力されたID（client-cli/src/id_prefix.rs）。

id-prefix-too-short = 「{ $typed }」では短すぎて、IDを1つに特定できません。{ $min }文字以上入力してください。
id-prefix-no-match = 「{ $typed }」で始まるIDはありません。一覧を確認して、もう一度入力してください。
id-prefix-ambiguous = 「{ $typed }」で始まるIDが複数あります。目的のIDをもう少し長く入力してください。
    { $matches }
