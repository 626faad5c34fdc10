from q2api.cli import main

raise SystemExit(main())
