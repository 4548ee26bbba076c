# Draws demo/out/metrics.png from the lines demo/metrics.sql wrote (the
# variables "data" and "out"): a panel each for the records per second each
# shard took in, the consumers' oldest iterator age, and the throttles.

set terminal pngcairo size 900,900 font ",10"
set output out
set datafile separator "\t"
set multiplot layout 3,1 title "stream demo: the stream clickstream, a bar a minute (get\\_metric\\_statistics)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set key outside right top
set grid ytics
set yrange [0:*]

set title "records in per second, per shard (IncomingRecords, enhanced monitoring)"
plot data using 2:xtic(1) title "shardId-000000000000", \
	'' using 3 title "shardId-000000000001", \
	'' using 4 title "shardId-000000000002", \
	'' using 5 title "shardId-000000000003"

set title "oldest iterator age of the consumers, ms (GetRecords.IteratorAgeMilliseconds, maximum)"
plot data using 6:xtic(1) title "iterator age" lc rgb "#b04040"

# (all zero in a run that nothing throttled: a range of its own)
stats data using 7 nooutput
zero = STATS_max == 0
stats data using 8 nooutput
if (zero && STATS_max == 0) set yrange [0:1]
set title "throttled, per second (Write- and ReadProvisionedThroughputExceeded)"
plot data using 7:xtic(1) title "records refused" lc rgb "#d08020", \
	'' using 8 title "reads refused" lc rgb "#4060b0"

unset multiplot
