# The chart of bench/run: for each comparison with a target, the measured
# ratio (stream against its baseline, more is better for stream) beside the
# target, on a log scale.  Run as
#   gnuplot -e "datafile='ratios.dat'; outfile='results.png'" bench/plot.gp
# where each line of datafile is: "label" ratio target.
set terminal pngcairo size 1100,560 noenhanced font ",10"
set output outfile
set title "stream against its baselines (ratio > 1: stream does better; median of rounds)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
# room above the tallest bar
stats datafile using 2 name "M" nooutput
stats datafile using 3 name "T" nooutput
set yrange [0.05:(M_max > T_max ? M_max : T_max) * 3]
set ylabel "ratio (log scale)"
set xtics rotate by -30 left
set grid ytics
set key top left
plot datafile using 2:xtic(1) title "measured" linecolor rgb "#3572b0", \
     '' using 3 title "target" linecolor rgb "#c0c0c0"
