"""What reads synthesized stacks and plans, for people and for CI. The modules CI runs from main
against a pull request's output (the plan gate) import only the standard library, and so does
this package."""
