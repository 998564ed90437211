# Ids typed by hand (client-cli/src/id_prefix.rs).

id-prefix-too-short = “{ $typed }” is too short to pick one id. Type at least { $min } characters.
id-prefix-no-match = No id starts with “{ $typed }”. Check the list and type it again.
id-prefix-ambiguous = More than one id starts with “{ $typed }”. Type more characters of the one you mean:
    { $matches }
