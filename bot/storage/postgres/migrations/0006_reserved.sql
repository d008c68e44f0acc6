-- Reserved: number 0006 belongs to another branch's migration (edit leases). This file
-- only keeps the numbers without gaps until both are merged; then it goes.
SELECT 1;
