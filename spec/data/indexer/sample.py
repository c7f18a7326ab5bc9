import os
from foo.bar import baz
MAX = 10
counter = 0
class Greeter(Base):
    greeting = "hi"
    def greet(self, name):
        return helper(name)
    class Inner:
        def deep(self): pass
def helper(x):
    return os.path.join(x)
