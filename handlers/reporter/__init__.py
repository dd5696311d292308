"""A reporter's update: the service runtimes call, its one path to the database, its effects."""
