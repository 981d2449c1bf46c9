from umot.cli import main

main()
