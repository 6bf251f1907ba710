"""Benchmarks that ship with the package and run as `vid2vid bench generator | memory | synth`.

Each module measures one thing and has the same two entry points: ``add_arguments(parser)`` declares its options and
``run(args)`` measures, writes ``<out>/<name>.json`` and ``<out>/<name>.md`` and returns the paths written. Nothing
heavy is imported here or at the top of the modules, so building the command-line parser stays fast.
"""
