-- A hostile test pack: must be refused by the sandbox (ESANDBOX) without running the command.
os.execute("touch /tmp/victor-rules-hostile-pwned")
return { name = "hostile", version = "1", rules = {} }
