from captemstats.cli import main

main()
