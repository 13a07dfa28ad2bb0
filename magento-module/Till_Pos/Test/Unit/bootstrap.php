<?php
declare(strict_types=1);

// The pure classes only: no Magento framework is needed to test them.
require __DIR__ . '/../../Model/ItemLinks.php';
require __DIR__ . '/../../Model/DeltaPlan.php';
