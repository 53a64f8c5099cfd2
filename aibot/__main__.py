from aibot.cli import console

console()
