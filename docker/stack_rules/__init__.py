"""The offline rules of docker/cloudformation/, one module per concern (docker/ecs_rules.py runs them)."""
