"""Speed and memory benchmarks that ship with the package and run as `vid2vid bench generator | memory | synth`
(quality is measured by ``vid2vid.evaluation``: `vid2vid eval`).

Each module measures one thing: ``run(args)`` takes the options `vid2vid bench` parsed (cli/bench.py declares them),
measures, writes ``<out>/<name>.json`` and ``<out>/<name>.md`` and returns the paths written. Nothing heavy is
imported at the top of the modules, so building the command-line parser stays fast.
"""
