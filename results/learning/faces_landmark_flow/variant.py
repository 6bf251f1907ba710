"""A `vid2vid` command run with another extension of the landmark set than data/landmark_flow.py's default:

    python results/learning/faces_landmark_flow/variant.py FOREHEAD RING eval checkpoint ... --example-flow landmarks

FOREHEAD 0/1: the forehead row above the brows; RING: the outer ring's scale - 1 (0: none).
"""

import functools
import sys

import vid2vid.data.landmark_flow as lf
from vid2vid.cli.main import main

forehead, ring = bool(int(sys.argv[1])), float(sys.argv[2])
lf.landmark_flow = functools.partial(lf.landmark_flow, forehead=forehead, ring=ring)
sys.exit(main(sys.argv[3:]))
