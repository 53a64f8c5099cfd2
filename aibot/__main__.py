from aibot.cli import main

main()
