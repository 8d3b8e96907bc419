# Turns data/pgp-words.txt ("HEX even-word odd-word" per line) into C tables.
BEGIN { print "/* generated from data/pgp-words.txt by tools/pgpwords.awk: do not edit */"
        print "#include <stdint.h>"; n = 0 }
/^#/ || NF == 0 { next }
NF != 3 { print "bad line " NR > "/dev/stderr"; exit 1 }
{ v = 0; h = toupper($1)
  for (i = 1; i <= 2; i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
  if (v != n) { print "line " NR ": expected byte " n > "/dev/stderr"; exit 1 }
  even[n] = $2; odd[n] = $3; n++ }
END { if (n != 256) { print "expected 256 words, got " n > "/dev/stderr"; exit 1 }
      print "extern const char *const words_pgp_even[256];"
      print "extern const char *const words_pgp_odd[256];"
      printf "const char *const words_pgp_even[256] = {\n"
      for (i = 0; i < 256; i++) printf "\t\"%s\",\n", even[i]
      print "};"
      printf "const char *const words_pgp_odd[256] = {\n"
      for (i = 0; i < 256; i++) printf "\t\"%s\",\n", odd[i]
      print "};" }
