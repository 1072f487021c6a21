"""Every (code letter, AQL) cell of ISO 2859-1 single sampling, normal (Table II-A), tightened
(II-B) and reduced (II-C), against the plans written out below.

The data file holds the master tables as printed, arrows included; here each cell is written
already resolved, one AQL column per pair of lines, as "n Ac/Re": the sample size and numbers of
the plan the arrows lead to. Letter A's cell at AQL 0.65 normal reads "20 0/1": the arrows go down
from A to F, whose sample size is 20. These were cross-checked against the resolved tables of the
AQLSchemes R package (J. Lawson), against the Level II chart of apparel-domain.md section 4.2 and
against ANSI/ASQ Z1.4-2008 as we know it; the reduced table is Z1.4's (MIL-STD-105E), with the gap
between Ac and Re.
"""

from __future__ import annotations

import re

import pytest

from seamline.quality import InspectionSeverity, SamplingInputError, SamplingPlan, judge, single_plan

LETTERS = "ABCDEFGHJKLMNPQR"
# A lot size (and level) that Table I maps to each letter: the top of the level II range; R
# exists at level III only.
LOT_FOR_LETTER = {
    "A": (8, "II"),
    "B": (15, "II"),
    "C": (25, "II"),
    "D": (50, "II"),
    "E": (90, "II"),
    "F": (150, "II"),
    "G": (280, "II"),
    "H": (500, "II"),
    "J": (1200, "II"),
    "K": (3200, "II"),
    "L": (10_000, "II"),
    "M": (35_000, "II"),
    "N": (150_000, "II"),
    "P": (500_000, "II"),
    "Q": (500_001, "II"),
    "R": (500_001, "III"),
}

NORMAL_II_A = """
# AQL           A          B          C          D          E          F          G          H
#               J          K          L          M          N          P          Q          R
0.010    1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1
         1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1
0.015     800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1
          800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1
0.025     500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1
          500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1   2000 1/2   2000 1/2
0.040     315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1
          315 0/1    315 0/1    315 0/1    315 0/1    315 0/1   1250 1/2   1250 1/2   2000 2/3
0.065     200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1
          200 0/1    200 0/1    200 0/1    200 0/1    800 1/2    800 1/2   1250 2/3   2000 3/4
0.10      125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1
          125 0/1    125 0/1    125 0/1    500 1/2    500 1/2    800 2/3   1250 3/4   2000 5/6
0.15       80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1
           80 0/1     80 0/1    315 1/2    315 1/2    500 2/3    800 3/4   1250 5/6   2000 7/8
0.25       50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1
           50 0/1    200 1/2    200 1/2    315 2/3    500 3/4    800 5/6   1250 7/8 2000 10/11
0.40       32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1
          125 1/2    125 1/2    200 2/3    315 3/4    500 5/6    800 7/8 1250 10/11 2000 14/15
0.65       20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     80 1/2
           80 1/2    125 2/3    200 3/4    315 5/6    500 7/8  800 10/11 1250 14/15 2000 21/22
1.0        13 0/1     13 0/1     13 0/1     13 0/1     13 0/1     13 0/1     50 1/2     50 1/2
           80 2/3    125 3/4    200 5/6    315 7/8  500 10/11  800 14/15 1250 21/22 1250 21/22
1.5         8 0/1      8 0/1      8 0/1      8 0/1      8 0/1     32 1/2     32 1/2     50 2/3
           80 3/4    125 5/6    200 7/8  315 10/11  500 14/15  800 21/22  800 21/22  800 21/22
2.5         5 0/1      5 0/1      5 0/1      5 0/1     20 1/2     20 1/2     32 2/3     50 3/4
           80 5/6    125 7/8  200 10/11  315 14/15  500 21/22  500 21/22  500 21/22  500 21/22
4.0         3 0/1      3 0/1      3 0/1     13 1/2     13 1/2     20 2/3     32 3/4     50 5/6
           80 7/8  125 10/11  200 14/15  315 21/22  315 21/22  315 21/22  315 21/22  315 21/22
6.5         2 0/1      2 0/1      8 1/2      8 1/2     13 2/3     20 3/4     32 5/6     50 7/8
         80 10/11  125 14/15  200 21/22  200 21/22  200 21/22  200 21/22  200 21/22  200 21/22
10          5 1/2      5 1/2      5 1/2      8 2/3     13 3/4     20 5/6     32 7/8   50 10/11
         80 14/15  125 21/22  125 21/22  125 21/22  125 21/22  125 21/22  125 21/22  125 21/22
15          3 1/2      3 1/2      5 2/3      8 3/4     13 5/6     20 7/8   32 10/11   50 14/15
         80 21/22   80 21/22   80 21/22   80 21/22   80 21/22   80 21/22   80 21/22   80 21/22
25          2 1/2      3 2/3      5 3/4      8 5/6     13 7/8   20 10/11   32 14/15   50 21/22
         50 21/22   50 21/22   50 21/22   50 21/22   50 21/22   50 21/22   50 21/22   50 21/22
40          2 2/3      3 3/4      5 5/6      8 7/8   13 10/11   20 14/15   32 21/22   32 21/22
         32 21/22   32 21/22   32 21/22   32 21/22   32 21/22   32 21/22   32 21/22   32 21/22
65          2 3/4      3 5/6      5 7/8    8 10/11   13 14/15   20 21/22   20 21/22   20 21/22
         20 21/22   20 21/22   20 21/22   20 21/22   20 21/22   20 21/22   20 21/22   20 21/22
100         2 5/6      3 7/8    5 10/11    8 14/15   13 21/22   13 21/22   13 21/22   13 21/22
         13 21/22   13 21/22   13 21/22   13 21/22   13 21/22   13 21/22   13 21/22   13 21/22
150         2 7/8    3 10/11    5 14/15    8 21/22   13 30/31   13 30/31   13 30/31   13 30/31
         13 30/31   13 30/31   13 30/31   13 30/31   13 30/31   13 30/31   13 30/31   13 30/31
250       2 10/11    3 14/15    5 21/22    8 30/31   13 44/45   13 44/45   13 44/45   13 44/45
         13 44/45   13 44/45   13 44/45   13 44/45   13 44/45   13 44/45   13 44/45   13 44/45
400       2 14/15    3 21/22    5 30/31    8 44/45    8 44/45    8 44/45    8 44/45    8 44/45
          8 44/45    8 44/45    8 44/45    8 44/45    8 44/45    8 44/45    8 44/45    8 44/45
650       2 21/22    3 30/31    5 44/45    5 44/45    5 44/45    5 44/45    5 44/45    5 44/45
          5 44/45    5 44/45    5 44/45    5 44/45    5 44/45    5 44/45    5 44/45    5 44/45
1000      2 30/31    3 44/45    3 44/45    3 44/45    3 44/45    3 44/45    3 44/45    3 44/45
          3 44/45    3 44/45    3 44/45    3 44/45    3 44/45    3 44/45    3 44/45    3 44/45
"""

TIGHTENED_II_B = """
# AQL           A          B          C          D          E          F          G          H
#               J          K          L          M          N          P          Q          R
0.010    2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1
         2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1   2000 0/1
0.015    1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1
         1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1   1250 0/1
0.025     800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1
          800 0/1    800 0/1    800 0/1    800 0/1    800 0/1    800 0/1   3150 1/2   3150 1/2
0.040     500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1
          500 0/1    500 0/1    500 0/1    500 0/1    500 0/1   2000 1/2   2000 1/2   2000 1/2
0.065     315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1
          315 0/1    315 0/1    315 0/1    315 0/1   1250 1/2   1250 1/2   1250 1/2   2000 2/3
0.10      200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1
          200 0/1    200 0/1    200 0/1    800 1/2    800 1/2    800 1/2   1250 2/3   2000 3/4
0.15      125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1
          125 0/1    125 0/1    500 1/2    500 1/2    500 1/2    800 2/3   1250 3/4   2000 5/6
0.25       80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1
           80 0/1    315 1/2    315 1/2    315 1/2    500 2/3    800 3/4   1250 5/6   2000 8/9
0.40       50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1
          200 1/2    200 1/2    200 1/2    315 2/3    500 3/4    800 5/6   1250 8/9 2000 12/13
0.65       32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1    125 1/2
          125 1/2    125 1/2    200 2/3    315 3/4    500 5/6    800 8/9 1250 12/13 2000 18/19
1.0        20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     80 1/2     80 1/2
           80 1/2    125 2/3    200 3/4    315 5/6    500 8/9  800 12/13 1250 18/19 1250 18/19
1.5        13 0/1     13 0/1     13 0/1     13 0/1     13 0/1     50 1/2     50 1/2     50 1/2
           80 2/3    125 3/4    200 5/6    315 8/9  500 12/13  800 18/19  800 18/19  800 18/19
2.5         8 0/1      8 0/1      8 0/1      8 0/1     32 1/2     32 1/2     32 1/2     50 2/3
           80 3/4    125 5/6    200 8/9  315 12/13  500 18/19  500 18/19  500 18/19  500 18/19
4.0         5 0/1      5 0/1      5 0/1     20 1/2     20 1/2     20 1/2     32 2/3     50 3/4
           80 5/6    125 8/9  200 12/13  315 18/19  315 18/19  315 18/19  315 18/19  315 18/19
6.5         3 0/1      3 0/1     13 1/2     13 1/2     13 1/2     20 2/3     32 3/4     50 5/6
           80 8/9  125 12/13  200 18/19  200 18/19  200 18/19  200 18/19  200 18/19  200 18/19
10          8 1/2      8 1/2      8 1/2      8 1/2     13 2/3     20 3/4     32 5/6     50 8/9
         80 12/13  125 18/19  125 18/19  125 18/19  125 18/19  125 18/19  125 18/19  125 18/19
15          5 1/2      5 1/2      5 1/2      8 2/3     13 3/4     20 5/6     32 8/9   50 12/13
         80 18/19   80 18/19   80 18/19   80 18/19   80 18/19   80 18/19   80 18/19   80 18/19
25          3 1/2      3 1/2      5 2/3      8 3/4     13 5/6     20 8/9   32 12/13   50 18/19
         50 18/19   50 18/19   50 18/19   50 18/19   50 18/19   50 18/19   50 18/19   50 18/19
40          2 1/2      3 2/3      5 3/4      8 5/6     13 8/9   20 12/13   32 18/19   32 18/19
         32 18/19   32 18/19   32 18/19   32 18/19   32 18/19   32 18/19   32 18/19   32 18/19
65          2 2/3      3 3/4      5 5/6      8 8/9   13 12/13   20 18/19   20 18/19   20 18/19
         20 18/19   20 18/19   20 18/19   20 18/19   20 18/19   20 18/19   20 18/19   20 18/19
100         2 3/4      3 5/6      5 8/9    8 12/13   13 18/19   13 18/19   13 18/19   13 18/19
         13 18/19   13 18/19   13 18/19   13 18/19   13 18/19   13 18/19   13 18/19   13 18/19
150         2 5/6      3 8/9    5 12/13    8 18/19   13 27/28   13 27/28   13 27/28   13 27/28
         13 27/28   13 27/28   13 27/28   13 27/28   13 27/28   13 27/28   13 27/28   13 27/28
250         2 8/9    3 12/13    5 18/19    8 27/28   13 41/42   13 41/42   13 41/42   13 41/42
         13 41/42   13 41/42   13 41/42   13 41/42   13 41/42   13 41/42   13 41/42   13 41/42
400       2 12/13    3 18/19    5 27/28    8 41/42    8 41/42    8 41/42    8 41/42    8 41/42
          8 41/42    8 41/42    8 41/42    8 41/42    8 41/42    8 41/42    8 41/42    8 41/42
650       2 18/19    3 27/28    5 41/42    5 41/42    5 41/42    5 41/42    5 41/42    5 41/42
          5 41/42    5 41/42    5 41/42    5 41/42    5 41/42    5 41/42    5 41/42    5 41/42
1000      2 27/28    3 41/42    3 41/42    3 41/42    3 41/42    3 41/42    3 41/42    3 41/42
          3 41/42    3 41/42    3 41/42    3 41/42    3 41/42    3 41/42    3 41/42    3 41/42
"""

REDUCED_II_C = """
# AQL           A          B          C          D          E          F          G          H
#               J          K          L          M          N          P          Q          R
0.010     500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1
          500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1    500 0/1
0.015     315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1
          315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1    315 0/1
0.025     200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1
          200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    200 0/1    800 0/2    800 0/2
0.040     125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    125 0/1
          125 0/1    125 0/1    125 0/1    125 0/1    125 0/1    500 0/2    500 0/2    800 1/3
0.065      80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1     80 0/1
           80 0/1     80 0/1     80 0/1     80 0/1    315 0/2    315 0/2    500 1/3    800 1/4
0.10       50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1     50 0/1
           50 0/1     50 0/1     50 0/1    200 0/2    200 0/2    315 1/3    500 1/4    800 2/5
0.15       32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1     32 0/1
           32 0/1     32 0/1    125 0/2    125 0/2    200 1/3    315 1/4    500 2/5    800 3/6
0.25       20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     20 0/1     20 0/1
           20 0/1     80 0/2     80 0/2    125 1/3    200 1/4    315 2/5    500 3/6    800 5/8
0.40       13 0/1     13 0/1     13 0/1     13 0/1     13 0/1     13 0/1     13 0/1     13 0/1
           50 0/2     50 0/2     80 1/3    125 1/4    200 2/5    315 3/6    500 5/8   800 7/10
0.65        8 0/1      8 0/1      8 0/1      8 0/1      8 0/1      8 0/1      8 0/1     32 0/2
           32 0/2     50 1/3     80 1/4    125 2/5    200 3/6    315 5/8   500 7/10  800 10/13
1.0         5 0/1      5 0/1      5 0/1      5 0/1      5 0/1      5 0/1     20 0/2     20 0/2
           32 1/3     50 1/4     80 2/5    125 3/6    200 5/8   315 7/10  500 10/13  500 10/13
1.5         3 0/1      3 0/1      3 0/1      3 0/1      3 0/1     13 0/2     13 0/2     20 1/3
           32 1/4     50 2/5     80 3/6    125 5/8   200 7/10  315 10/13  315 10/13  315 10/13
2.5         2 0/1      2 0/1      2 0/1      2 0/1      8 0/2      8 0/2     13 1/3     20 1/4
           32 2/5     50 3/6     80 5/8   125 7/10  200 10/13  200 10/13  200 10/13  200 10/13
4.0         2 0/1      2 0/1      2 0/1      5 0/2      5 0/2      8 1/3     13 1/4     20 2/5
           32 3/6     50 5/8    80 7/10  125 10/13  125 10/13  125 10/13  125 10/13  125 10/13
6.5         2 0/1      2 0/1      3 0/2      3 0/2      5 1/3      8 1/4     13 2/5     20 3/6
           32 5/8    50 7/10   80 10/13   80 10/13   80 10/13   80 10/13   80 10/13   80 10/13
10          2 0/2      2 0/2      2 0/2      3 1/3      5 1/4      8 2/5     13 3/6     20 5/8
          32 7/10   50 10/13   50 10/13   50 10/13   50 10/13   50 10/13   50 10/13   50 10/13
15          2 0/2      2 0/2      2 1/3      3 1/4      5 2/5      8 3/6     13 5/8    20 7/10
         32 10/13   32 10/13   32 10/13   32 10/13   32 10/13   32 10/13   32 10/13   32 10/13
25          2 1/2      2 1/3      2 1/4      3 2/5      5 3/6      8 5/8    13 7/10   20 10/13
         20 10/13   20 10/13   20 10/13   20 10/13   20 10/13   20 10/13   20 10/13   20 10/13
40          2 2/3      2 2/4      2 2/5      3 3/6      5 5/8     8 7/10   13 10/13   13 10/13
         13 10/13   13 10/13   13 10/13   13 10/13   13 10/13   13 10/13   13 10/13   13 10/13
65          2 3/4      2 3/5      2 3/6      3 5/8     5 7/10    8 10/13    8 10/13    8 10/13
          8 10/13    8 10/13    8 10/13    8 10/13    8 10/13    8 10/13    8 10/13    8 10/13
100         2 5/6      2 5/6      2 5/8     3 7/10    5 10/13    5 10/13    5 10/13    5 10/13
          5 10/13    5 10/13    5 10/13    5 10/13    5 10/13    5 10/13    5 10/13    5 10/13
150         2 7/8      2 7/8     2 7/10    3 10/13    5 14/17    5 14/17    5 14/17    5 14/17
          5 14/17    5 14/17    5 14/17    5 14/17    5 14/17    5 14/17    5 14/17    5 14/17
250       2 10/11    2 10/11    2 10/13    3 14/17    5 21/24    5 21/24    5 21/24    5 21/24
          5 21/24    5 21/24    5 21/24    5 21/24    5 21/24    5 21/24    5 21/24    5 21/24
400       2 14/15    2 14/15    2 14/17    3 21/24    3 21/24    3 21/24    3 21/24    3 21/24
          3 21/24    3 21/24    3 21/24    3 21/24    3 21/24    3 21/24    3 21/24    3 21/24
650       2 21/22    2 21/22    2 21/24    2 21/24    2 21/24    2 21/24    2 21/24    2 21/24
          2 21/24    2 21/24    2 21/24    2 21/24    2 21/24    2 21/24    2 21/24    2 21/24
1000      2 30/31    2 30/31    2 30/31    2 30/31    2 30/31    2 30/31    2 30/31    2 30/31
          2 30/31    2 30/31    2 30/31    2 30/31    2 30/31    2 30/31    2 30/31    2 30/31
"""

TABLES = {
    InspectionSeverity.NORMAL: NORMAL_II_A,
    InspectionSeverity.TIGHTENED: TIGHTENED_II_B,
    InspectionSeverity.REDUCED: REDUCED_II_C,
}


def parse(table: str) -> dict[tuple[str, str], tuple[int, int, int]]:
    """{(letter, aql): (n, Ac, Re)} from the written-out table above."""
    cells: dict[tuple[str, str], tuple[int, int, int]] = {}
    aql = ""
    for line in table.strip().splitlines():
        if line.startswith("#"):
            continue
        offset = 8 if line.startswith(" ") else 0  # a continuation line holds letters J to R
        if not offset:
            aql = line.split(maxsplit=1)[0]
        found = re.findall(r"(\d+) (\d+)/(\d+)", line[len(aql) :] if not offset else line)
        assert len(found) == 8, line
        for i, (n, ac, re_) in enumerate(found):
            cells[LETTERS[offset + i], aql] = (int(n), int(ac), int(re_))
    return cells


def plan(letter: str, aql: str, inspection: InspectionSeverity) -> SamplingPlan:
    lot_size, level = LOT_FOR_LETTER[letter]
    p = single_plan(lot_size, level, aql, inspection)
    assert p.code_letter == letter
    return p


@pytest.mark.parametrize("inspection", list(InspectionSeverity))
def test_every_cell_of_the_master_table(inspection: InspectionSeverity) -> None:
    expected = parse(TABLES[inspection])
    assert len(expected) == 16 * 26
    wrong = []
    for (letter, aql), cell in expected.items():
        p = plan(letter, aql, inspection)
        if (p.sample_size, p.accept, p.reject) != cell:
            wrong.append(f"{letter} {aql}: {p.sample_size} {p.accept}/{p.reject}, expected {cell}")
    assert not wrong, "\n".join(wrong)


# Table II-A for general inspection level II, as apparel-domain.md section 4.2 prints it for the
# garment trade: lot-size range -> (letter, n, then Ac/Re "(n=..)" per AQL 0.65 1.0 1.5 2.5 4.0 6.5).
DOMAIN_LEVEL_II = """
2-8           A 2     0/1(n=20) 0/1(n=13) 0/1(n=8)  0/1(n=5)  0/1(n=3)  0/1
9-15          B 3     0/1(n=20) 0/1(n=13) 0/1(n=8)  0/1(n=5)  0/1       0/1(n=2)
16-25         C 5     0/1(n=20) 0/1(n=13) 0/1(n=8)  0/1       0/1(n=3)  1/2(n=8)
26-50         D 8     0/1(n=20) 0/1(n=13) 0/1       0/1(n=5)  1/2(n=13) 1/2
51-90         E 13    0/1(n=20) 0/1       0/1(n=8)  1/2(n=20) 1/2       2/3
91-150        F 20    0/1       0/1(n=13) 1/2(n=32) 1/2       2/3       3/4
151-280       G 32    0/1(n=20) 1/2(n=50) 1/2       2/3       3/4       5/6
281-500       H 50    1/2(n=80) 1/2       2/3       3/4       5/6       7/8
501-1200      J 80    1/2       2/3       3/4       5/6       7/8       10/11
1201-3200     K 125   2/3       3/4       5/6       7/8       10/11     14/15
3201-10000    L 200   3/4       5/6       7/8       10/11     14/15     21/22
10001-35000   M 315   5/6       7/8       10/11     14/15     21/22     21/22(n=200)
35001-150000  N 500   7/8       10/11     14/15     21/22     21/22(n=315) 21/22(n=200)
150001-500000 P 800   10/11     14/15     21/22     21/22(n=500) 21/22(n=315) 21/22(n=200)
500001-       Q 1250  14/15     21/22     21/22(n=800) 21/22(n=500) 21/22(n=315) 21/22(n=200)
"""


def test_the_garment_chart_of_the_domain_notes() -> None:
    checked = 0
    for row in DOMAIN_LEVEL_II.strip().splitlines():
        lots, letter, n, *cells = row.split()
        low, _, high = lots.partition("-")
        for lot_size in {int(low), int(high or 10**7)}:
            for aql, cell in zip(("0.65", "1.0", "1.5", "2.5", "4.0", "6.5"), cells, strict=True):
                m = re.fullmatch(r"(\d+)/(\d+)(?:\(n=(\d+)\))?", cell)
                assert m, cell
                p = single_plan(lot_size, "II", aql)
                assert p.code_letter == letter
                assert (p.sample_size, p.accept, p.reject) == (int(m[3] or n), int(m[1]), int(m[2]))
                checked += 1
    assert checked == 15 * 2 * 6


def test_arrows_change_the_sample_size_and_the_letter() -> None:
    # Lot 20, level II -> C (n 5). At AQL 0.65, C's cell is an arrow down: D, E are arrows too,
    # F (n 20) has 0/1. The sample (20) is not smaller than the lot (20): inspect all 20 units.
    p = single_plan(20, "II", "0.65")
    assert (p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject) == ("C", "F", 20, 0, 1)
    assert p.hundred_percent
    assert p.units_to_inspect == 20
    # Lot 15,000 -> M (n 315). At AQL 6.5 M's cell is an arrow up: L (n 200) has 21/22.
    p = single_plan(15_000, "II", "6.5")
    assert (p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject) == ("M", "L", 200, 21, 22)
    assert not p.hundred_percent
    # Lot 2-8, AQL 10: the printed arrow in A's cell points up, where there is no plan; the column
    # is followed down instead: normal and reduced to C, tightened to D (AQL Inspector's Rule).
    assert single_plan(8, "II", "10").plan_letter == "C"
    assert single_plan(8, "II", "10", "reduced").plan_letter == "C"
    assert single_plan(8, "II", "10", "tightened").plan_letter == "D"
    # Tightened, AQL 0.025, letters Q and R: down to S, the only row with n 3150.
    p = single_plan(500_001, "III", "0.025", "tightened")
    assert (p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject) == ("R", "S", 3150, 1, 2)
    # Normal and reduced, AQL 0.015, letter R: up to P (n 800 normal, n 315 reduced).
    assert single_plan(500_001, "III", "0.015").sample_size == 800
    assert single_plan(500_001, "III", "0.015", "reduced").sample_size == 315


def test_the_buggy_public_implementation_of_the_domain_notes_is_not_repeated() -> None:
    # apparel-domain.md 4.3: a contiguous 0/1, 1/2, 2/3 ... series gives Ac 10 for J at AQL 2.5.
    assert single_plan(1000, "II", "2.5").accept == 5
    # ... and a fixed letter offset for level I is wrong for small lots: 2-8 at level I is A, not
    # one letter below level II's A.
    assert single_plan(8, "I", "2.5").code_letter == "A"


def test_reduced_plans_leave_a_gap_that_accepts_but_reinstates_normal() -> None:
    # AQL Inspector's Rule, example 3 (ANSI version): lot 125, level III -> G; reduced, AQL 1.0:
    # the arrow leads to H, n 20, Ac 0, Re 2. One nonconforming: accept the lot, back to normal.
    p = single_plan(125, "III", "1.0", "reduced")
    assert (p.code_letter, p.plan_letter, p.sample_size, p.accept, p.reject) == ("G", "H", 20, 0, 2)
    v = judge(p, 1)
    assert v.accepted
    assert v.between_accept_and_reject
    assert not judge(p, 2).accepted
    assert not judge(p, 0).between_accept_and_reject


def test_one_step_tighter_is_the_cell_to_the_left_in_the_plan_row() -> None:
    # Every normal plan with Ac >= 2 has, to its left in its own row, the next smaller acceptance
    # number of the series 0 1 2 3 5 7 10 14 21 30 44 (same sample size).
    series = [0, 1, 2, 3, 5, 7, 10, 14, 21, 30, 44]
    seen = 0
    for letter, aql in parse(NORMAL_II_A):
        p = plan(letter, aql, InspectionSeverity.NORMAL)
        if p.accept < 2:
            assert judge(p, 0).accepted_one_step_tighter is None
            continue
        tighter = series[series.index(p.accept) - 1]
        assert judge(p, tighter).accepted_one_step_tighter is True
        assert judge(p, tighter + 1).accepted_one_step_tighter is False
        seen += 1
    assert seen > 150


@pytest.mark.parametrize(
    ("aql", "label"),
    [("2.5", "2.5"), ("2.50", "2.5"), (2.5, "2.5"), ("0.01", "0.010"), ("10.0", "10"), (1000, "1000")],
)
def test_aql_spellings(aql: str | float, label: str) -> None:
    assert single_plan(1000, "II", aql).aql == label


@pytest.mark.parametrize("aql", ["2.4", "0", "-1", "abc", "", "1500", "0.005"])
def test_an_aql_that_is_not_a_column_of_the_standard_is_refused(aql: str) -> None:
    with pytest.raises(SamplingInputError) as caught:
        single_plan(1000, "II", aql)
    assert caught.value.field == "aql"
    assert "0.010" in caught.value.allowed
    assert "1000" in caught.value.allowed
