# Writes the numeric CSV of bench/validate_bench.sh: `rows` rows of
#   id  c0 (1% empty)  c1 (normal)  c2 (exponential)  c3 = c0 + U(0,10)  c4  c5  c6 (about
#   normal 50, 10)  c7  c8 (integer 1..5)
# Usage: awk -v rows=15000000 -v seed=1 -f gen_data.awk > data.csv  (mawk: ~40 MB/s per core)
BEGIN {
  srand(seed == "" ? 1 : seed);
  print "id,c0,c1,c2,c3,c4,c5,c6,c7,c8";
  pi2 = 6.283185307179586;
  for (i = 0; i < rows; i++) {
    u = rand() * 100;
    c0 = rand() < 0.01 ? "" : sprintf("%.3f", u);
    normal = sqrt(-2 * log(1 - rand())) * cos(pi2 * rand());
    printf "%d,%s,%.4f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%d\n", i, c0, normal, -log(1 - rand()) * 100,
           u + rand() * 10, rand() * 1000, rand() * 100,
           50 + 10 * (rand() + rand() + rand() - 1.5) * 2, rand(), 1 + int(rand() * 5);
  }
}
